import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { installerFiles } from '../installer/script';
import { MANAGED_BY } from './labels';

export interface InstallerSupportProps {
  /** @default 'kube-system' */
  readonly namespace?: string;
  /** Name of the ConfigMap holding the installer's files and of the ServiceAccount. @default 'shoot-runtimes-installer' */
  readonly name?: string;
  /** The installer script. @default - the script bundled with shoot-runtimes (src/installer/install.sh) */
  readonly script?: string;
  /** The image the script runs in (sh, awk, flock, nsenter). @default DEFAULT_INSTALLER_IMAGE */
  readonly image?: string;
  /** An image pull secret in the namespace, for every image of the installers. @default - none */
  readonly pullSecret?: string;
}

/** The image the installer script runs in: busybox has sh, awk, flock and nsenter. */
export const DEFAULT_INSTALLER_IMAGE = 'docker.io/library/busybox:1.36.1';

/**
 * What every installer DaemonSet of a cluster shares: every file the script needs (install.sh and
 * the toml.awk it runs, found next to it) in one ConfigMap (every per-runtime value reaches the
 * script through the environment) and a ServiceAccount without a token.
 */
export class InstallerSupport extends Construct {
  /** The key of the script in the ConfigMap. */
  public static readonly SCRIPT_KEY = 'install.sh';

  public readonly namespace: string;
  public readonly name: string;
  public readonly script: string;
  /** sha256 of every file the script needs, computed once for every DaemonSet's checksum annotation. */
  public readonly scriptChecksum: string;
  public readonly image: string;
  public readonly pullSecret?: string;

  constructor(scope: Construct, id: string, props: InstallerSupportProps = {}) {
    super(scope, id);
    this.namespace = props.namespace ?? 'kube-system';
    this.name = props.name ?? 'shoot-runtimes-installer';
    const files = installerFiles();
    this.script = props.script ?? files[InstallerSupport.SCRIPT_KEY];
    files[InstallerSupport.SCRIPT_KEY] = this.script;
    this.scriptChecksum = createHash('sha256').update(JSON.stringify(files)).digest('hex');
    this.image = props.image ?? DEFAULT_INSTALLER_IMAGE;
    this.pullSecret = props.pullSecret;
    const metadata = { name: this.name, namespace: this.namespace, labels: { ...MANAGED_BY } };
    new k8s.KubeConfigMap(this, 'Script', { metadata, data: files });
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata, automountServiceAccountToken: false });
  }
}
