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

/** The pod template annotation that rolls the pods when the script or their settings change. */
export const CHECKSUM_ANNOTATION = 'shoot-runtimes.dev/installer-checksum';

/** `install` or `uninstall`: what a node agent's pods do. Not part of the selector, so it can change. */
export const PHASE_LABEL = 'shoot-runtimes.dev/phase';
