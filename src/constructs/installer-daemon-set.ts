import { createHash } from 'crypto';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RuntimeDefinition } from '../catalog/types';
import { installerEnvironment } from '../installer/environment';
import { CRI_NAME_LABEL, ContainerRuntime, NodeTarget, Taint, compareStrings } from '../model/container-runtime';
import { InstallerSupport } from './installer-support';
import { CHECKSUM_ANNOTATION, CRITICAL_COMPONENTS_NOT_READY_TAINT, CRITICAL_COMPONENT_LABEL, INSTALLER_SELECTOR_LABEL, PHASE_LABEL, runtimeLabels } from './labels';

/** Where the host's directories appear inside the installer containers. */
const HOST_ROOT = '/host';
const ARTIFACT_DIR = '/artifacts';
const SCRIPT_DIR = '/scripts';
const CONTAINERD_CONFIG_DIR = '/etc/containerd';
/** Host directory of the node-local lock every installer takes around containerd changes. */
const LOCK_DIR = '/run/shoot-runtimes';

export interface InstallerDaemonSetProps {
  readonly runtime: ContainerRuntime;
  readonly definition: RuntimeDefinition;
  /** The shared script ConfigMap and ServiceAccount. */
  readonly support: InstallerSupport;
  /** The runtime's own configuration file (e.g. runsc.toml). @default - none */
  readonly runtimeConfig?: string;
}

/**
 * The DaemonSet that installs one ContainerRuntime on exactly its pool's nodes: an unprivileged
 * init container copies the runtime's files out of its image, a privileged init container runs
 * the installer script (the only thing that writes to the host), and an unprivileged container
 * stays to verify, read-only, that the installation is still in place.
 */
export class InstallerDaemonSet extends Construct {
  public readonly name: string;
  public readonly namespace: string;

  constructor(scope: Construct, id: string, props: InstallerDaemonSetProps) {
    super(scope, id);
    this.name = props.runtime.name;
    this.namespace = props.support.namespace;
    new k8s.KubeDaemonSet(this, 'Resource', nodeAgent({
      mode: 'install',
      target: props.runtime,
      env: installerEnvironment(props.runtime, props.definition, props.runtimeConfig),
      support: props.support,
      fetch: { image: props.definition.image, files: props.definition.files },
    }));
  }
}

export interface UninstallDaemonSetProps {
  /** The runtime as it was installed. */
  readonly target: NodeTarget;
  /** The installer's environment at install time (what to remove). */
  readonly env: Readonly<Record<string, string>>;
  /** Files in binaryPath that a runtime still installed on the pool uses: they stay. @default - none */
  readonly keepFiles?: readonly string[];
  readonly support: InstallerSupport;
}

/**
 * In place of an installer whose runtime left a pool that still exists: the same DaemonSet (name,
 * selector, nodes), whose privileged init container removes the runtime from containerd and the
 * node, and whose unprivileged container then stays Ready while the node is clean.
 */
export class UninstallDaemonSet extends Construct {
  public readonly name: string;

  constructor(scope: Construct, id: string, props: UninstallDaemonSetProps) {
    super(scope, id);
    this.name = props.target.name;
    const env = { ...props.env, ...(props.keepFiles?.length ? { KEEP_FILES: props.keepFiles.join('\n') } : {}) };
    new k8s.KubeDaemonSet(this, 'Resource', nodeAgent({
      mode: 'uninstall', target: props.target, env, support: props.support,
    }));
  }
}

interface NodeAgentOptions {
  readonly mode: 'install' | 'uninstall';
  readonly target: NodeTarget;
  readonly env: Readonly<Record<string, string>>;
  readonly support: InstallerSupport;
  /** install only: the image and files the unprivileged fetch container copies. */
  readonly fetch?: { readonly image: string; readonly files: readonly string[] };
}

/** The DaemonSet both node agents share: same name, selector, nodes, mounts and security. */
function nodeAgent(options: NodeAgentOptions): k8s.KubeDaemonSetProps {
  const { mode, target, support, fetch } = options;
  const installerImage = support.image;
  const envOf = (extra: Record<string, string>) => {
    const all = { ...options.env, ...extra };
    return Object.keys(all).sort(compareStrings).map((name) => ({ name, value: all[name] }));
  };
  // An installer keeps a new node closed to workloads until its readiness probe (verify) passes.
  // An uninstaller does not: a new node never had the runtime, and a failing removal must not
  // keep new nodes closed.
  const critical = mode === 'install';
  const labels = {
    ...runtimeLabels(target.name, target.type, target.pool),
    [PHASE_LABEL]: mode,
    ...(critical ? { [CRITICAL_COMPONENT_LABEL]: 'true' } : {}),
  };
  // The script's version is in the ConfigMap's name, already part of the pod template: a new
  // script changes that one line, not this checksum too.
  const checksum = createHash('sha256')
    .update(JSON.stringify([mode, envOf({}), fetch ?? null, installerImage]))
    .digest('hex');

  const hostMounts = [
    { name: 'host-binary-path', hostPath: target.binaryPath, type: 'DirectoryOrCreate' },
    { name: 'host-containerd-config', hostPath: CONTAINERD_CONFIG_DIR, type: 'Directory' },
    { name: 'host-lock', hostPath: LOCK_DIR, type: 'DirectoryOrCreate' },
  ];
  const scriptMount = { name: 'installer-script', mountPath: SCRIPT_DIR, readOnly: true };
  const mountOf = (m: { name: string; hostPath: string }, readOnly: boolean) => ({
    name: m.name, mountPath: HOST_ROOT + m.hostPath, ...(readOnly ? { readOnly } : {}),
  });
  const script = `${SCRIPT_DIR}/${InstallerSupport.SCRIPT_KEY}`;
  const unprivileged = {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ['ALL'] },
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    runAsUser: 65532,
    runAsGroup: 65532,
  };
  const resources = (memory: string) => ({
    requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('16Mi') },
    limits: { memory: k8s.Quantity.fromString(memory) },
  });
  const fetchContainers: k8s.Container[] = fetch ? [{
    name: 'fetch',
    image: fetch.image,
    imagePullPolicy: 'IfNotPresent',
    // argv, not a shell: paths stay data.
    command: ['cp', ...fetch.files, `${ARTIFACT_DIR}/`],
    securityContext: unprivileged,
    resources: resources('64Mi'),
    volumeMounts: [{ name: 'artifacts', mountPath: ARTIFACT_DIR }],
  }] : [];
  const probe = mode === 'install' ? 'verify' : 'verify-removed';

  return {
    metadata: { name: target.name, namespace: support.namespace, labels },
    spec: {
      selector: { matchLabels: { [INSTALLER_SELECTOR_LABEL]: target.name } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: k8s.IntOrString.fromNumber(1) } },
      template: {
        metadata: { labels, annotations: { [CHECKSUM_ANNOTATION]: checksum } },
        spec: {
          serviceAccountName: support.name,
          ...(support.pullSecret ? { imagePullSecrets: [{ name: support.pullSecret }] } : {}),
          automountServiceAccountToken: false,
          priorityClassName: 'system-node-critical',
          // The default restart goes through the host's systemd: nsenter into PID 1's namespaces.
          hostPid: true,
          nodeSelector: { ...target.nodeSelector, [CRI_NAME_LABEL]: 'containerd' },
          tolerations: [
            ...tolerationsFor(target.taints),
            ...(critical && target.taints !== undefined
              ? [{ key: CRITICAL_COMPONENTS_NOT_READY_TAINT, operator: 'Exists', effect: 'NoSchedule' }]
              : []),
          ],
          terminationGracePeriodSeconds: 5,
          initContainers: [
            ...fetchContainers,
            {
              name: mode,
              image: installerImage,
              imagePullPolicy: 'IfNotPresent',
              command: ['/bin/sh', script, mode],
              env: envOf({ ...(fetch ? { ARTIFACT_DIR } : {}), HOST_ROOT }),
              securityContext: { privileged: true, allowPrivilegeEscalation: true, runAsUser: 0 },
              resources: resources('128Mi'),
              volumeMounts: [
                scriptMount,
                ...(fetch ? [{ name: 'artifacts', mountPath: ARTIFACT_DIR, readOnly: true }] : []),
                ...hostMounts.map((m) => mountOf(m, false)),
              ],
            },
          ],
          containers: [{
            name: 'verify',
            image: installerImage,
            imagePullPolicy: 'IfNotPresent',
            command: ['/bin/sh', script, 'watch'],
            env: envOf({ HOST_ROOT }),
            // Ready while the node is as it should be; restarted (and so repaired) when it drifts.
            readinessProbe: {
              exec: { command: ['/bin/sh', script, probe] },
              periodSeconds: 30,
              timeoutSeconds: 10,
            },
            livenessProbe: {
              exec: { command: ['/bin/sh', script, probe] },
              periodSeconds: 60,
              timeoutSeconds: 10,
              failureThreshold: 3,
            },
            securityContext: unprivileged,
            resources: resources('32Mi'),
            volumeMounts: [scriptMount, ...hostMounts.map((m) => mountOf(m, true))],
          }],
          volumes: [
            { name: 'installer-script', configMap: { name: support.configMapName, defaultMode: 0o555 } },
            ...(fetch ? [{ name: 'artifacts', emptyDir: {} }] : []),
            ...hostMounts.map((m) => ({ name: m.name, hostPath: { path: m.hostPath, type: m.type } })),
          ],
        },
      },
    },
  };
}

/**
 * Tolerations for the pool's taints, so the installer lands on a dedicated pool. When the taints
 * are unknown (ContainerRuntime input), tolerate every taint: the node selector already pins the
 * pods to the pool.
 */
export function tolerationsFor(taints: readonly Taint[] | undefined): k8s.Toleration[] {
  if (taints === undefined) return [{ operator: 'Exists' }];
  return taints.map((t) => (t.value === undefined
    ? { key: t.key, operator: 'Exists', effect: t.effect }
    : { key: t.key, operator: 'Equal', value: t.value, effect: t.effect }));
}
