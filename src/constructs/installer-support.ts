import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { installerFiles } from '../installer/script';
import { MANAGED_BY } from './labels';

export interface InstallerSupportProps {
  /** @default 'kube-system' */
  readonly namespace?: string;
  /**
   * Name of the ServiceAccount, and the start of the ConfigMap's name (which ends in the files'
   * version). @default 'shoot-runtimes-installer'
   */
  readonly name?: string;
  /** Every file of the installer, name to text. @default - the files bundled with shoot-runtimes (installerFiles) */
  readonly files?: Readonly<Record<string, string>>;
  /** The installer script: replaces install.sh among `files`. @default - install.sh of `files` */
  readonly script?: string;
  /** The image the script runs in (sh, awk, flock, nsenter). @default DEFAULT_INSTALLER_IMAGE */
  readonly image?: string;
  /** An image pull secret in the namespace, for every image of the installers. @default - none */
  readonly pullSecret?: string;
  /**
   * Where the ConfigMap with the installer's files lives: `chart` puts it into this chart;
   * `shared` leaves it out, and the DaemonSets only name it: one InstallerConfigMap elsewhere
   * serves many charts (the CLI's `installer/<version>/` directory).
   * @default 'chart'
   */
  readonly configMap?: 'chart' | 'shared';
}

/** The image the installer script runs in: busybox has sh, awk, flock and nsenter. */
export const DEFAULT_INSTALLER_IMAGE = 'docker.io/library/busybox:1.36.1';

/** The default name of the ServiceAccount, and the start of the ConfigMap's. */
export const INSTALLER_NAME = 'shoot-runtimes-installer';

/**
 * The version of a set of installer files: the first 10 hex digits of a sha256 over every file's
 * name and text. It names the ConfigMap (as kustomize's generators do), so new files roll the
 * installers and never rewrite the ConfigMap an old pod still mounts.
 */
export function installerVersion(files: Readonly<Record<string, string>>): string {
  const sorted = Object.keys(files).sort().map((name) => [name, files[name]]);
  // Every shoot of a run asks for the same files' version: hash them once (comparing the texts is cheap).
  if (lastVersion && lastVersion.sorted.length === sorted.length && lastVersion.sorted.every(([n, t], i) => n === sorted[i][0] && t === sorted[i][1])) return lastVersion.version;
  lastVersion = { sorted, version: createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 10) };
  return lastVersion.version;
}

let lastVersion: { sorted: string[][]; version: string } | undefined;

export interface InstallerConfigMapProps {
  /** @default 'kube-system' */
  readonly namespace?: string;
  /** @default INSTALLER_NAME */
  readonly name?: string;
  /** The installer's files, name to text. @default - the files bundled with shoot-runtimes */
  readonly files?: Readonly<Record<string, string>>;
}

/** The ConfigMap holding every file of one installer version, named `<name>-<version>`. */
export class InstallerConfigMap extends Construct {
  public readonly files: Readonly<Record<string, string>>;
  public readonly version: string;
  public readonly name: string;
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: InstallerConfigMapProps = {}) {
    super(scope, id);
    this.files = props.files ?? installerFiles();
    this.version = installerVersion(this.files);
    this.name = `${props.name ?? INSTALLER_NAME}-${this.version}`;
    this.namespace = props.namespace ?? 'kube-system';
    new k8s.KubeConfigMap(this, 'Resource', {
      metadata: { name: this.name, namespace: this.namespace, labels: { ...MANAGED_BY } },
      data: { ...this.files },
    });
  }
}

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
  /** Every file of the installer, name to text (the ConfigMap's data). */
  public readonly files: Readonly<Record<string, string>>;
  /** The files' version (installerVersion): the end of the ConfigMap's name. */
  public readonly version: string;
  /** The ConfigMap the DaemonSets mount: `<name>-<version>`. */
  public readonly configMapName: string;
  public readonly image: string;
  public readonly pullSecret?: string;

  constructor(scope: Construct, id: string, props: InstallerSupportProps = {}) {
    super(scope, id);
    this.namespace = props.namespace ?? 'kube-system';
    this.name = props.name ?? INSTALLER_NAME;
    this.files = { ...(props.files ?? installerFiles()), ...(props.script !== undefined ? { [InstallerSupport.SCRIPT_KEY]: props.script } : {}) };
    this.script = this.files[InstallerSupport.SCRIPT_KEY];
    this.version = installerVersion(this.files);
    this.configMapName = `${this.name}-${this.version}`;
    this.image = props.image ?? DEFAULT_INSTALLER_IMAGE;
    this.pullSecret = props.pullSecret;
    if ((props.configMap ?? 'chart') === 'chart') {
      new InstallerConfigMap(this, 'Script', { namespace: this.namespace, name: this.name, files: this.files });
    }
    const metadata = { name: this.name, namespace: this.namespace, labels: { ...MANAGED_BY } };
    new k8s.KubeServiceAccount(this, 'ServiceAccount', { metadata, automountServiceAccountToken: false });
  }
}
