/** Labels and names shared by the generated objects. Fixed strings: DaemonSet selectors are immutable. */

export const MANAGED_BY = { 'app.kubernetes.io/managed-by': 'shoot-runtimes' } as const;

/** The label that ties an installer DaemonSet's pods to it: the ContainerRuntime's name. */
export const INSTALLER_SELECTOR_LABEL = 'shoot-runtimes.dev/container-runtime';

/** Labels of every object that belongs to one ContainerRuntime. */
export function runtimeLabels(runtimeName: string, type: string, pool: string): Record<string, string> {
  return {
    ...MANAGED_BY,
    [INSTALLER_SELECTOR_LABEL]: runtimeName,
    'shoot-runtimes.dev/pool': pool,
    'shoot-runtimes.dev/runtime-type': type,
  };
}

/**
 * The pod template annotation that rolls the pods when their settings change (mode, environment,
 * fetch, image). Not the script: its version is in the installer ConfigMap's hashed name, which the
 * pod template names, so a new script rolls the pods through that reference.
 */
export const CHECKSUM_ANNOTATION = 'shoot-runtimes.dev/installer-checksum';

/** `install` or `uninstall`: what a node agent's pods do. Not part of the selector, so it can change. */
export const PHASE_LABEL = 'shoot-runtimes.dev/phase';

/**
 * Gardener's node readiness: kubelet registers a new node with the taint
 * `node.gardener.cloud/critical-components-not-ready:NoSchedule`, and gardener-resource-manager
 * removes it once every kube-system DaemonSet carrying CRITICAL_COMPONENT_LABEL (on the DaemonSet
 * and its pod template) has a Ready pod on the node (gardener docs/usage/advanced/node-readiness.md).
 */
export const CRITICAL_COMPONENT_LABEL = 'node.gardener.cloud/critical-component';
export const CRITICAL_COMPONENTS_NOT_READY_TAINT = 'node.gardener.cloud/critical-components-not-ready';
