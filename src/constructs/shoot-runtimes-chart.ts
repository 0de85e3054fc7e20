import { ApiObject, Chart } from 'cdk8s';
import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RuntimeDefinition } from '../catalog/types';
import { ContainerRuntime, ShootRef, runtimeNodeLabel } from '../model/container-runtime';
import { ContainerRuntimeInstallation, overheadOf } from './container-runtime-installation';
import { UninstallDaemonSet, UninstallDaemonSetProps } from './installer-daemon-set';
import { InstallerSupport, InstallerSupportProps } from './installer-support';
import { MANAGED_BY } from './labels';

/** One ContainerRuntime with what the chart needs to install it. */
export interface ResolvedContainerRuntime {
  readonly runtime: ContainerRuntime;
  readonly definition: RuntimeDefinition;
  /** @default - none */
  readonly runtimeConfig?: string;
}

export interface ShootRuntimesChartProps {
  readonly shoot: ShootRef;
  /** The shoot's ContainerRuntimes, in a stable order. */
  readonly runtimes: readonly ResolvedContainerRuntime[];
  /** The installers' image and pull secret, and where their ConfigMap lives. @default - InstallerSupport's defaults */
  readonly installer?: Pick<InstallerSupportProps, 'image' | 'pullSecret' | 'configMap' | 'files'>;
  /**
   * Annotate objects with Argo CD sync waves so that installers are healthy before the classes
   * that send pods to them exist.
   * @default false
   */
  readonly argoSyncWaves?: boolean;
  /** Runtimes that left a pool that still exists: an UninstallDaemonSet each. @default - none */
  readonly uninstalls?: readonly Omit<UninstallDaemonSetProps, 'support'>[];
}

/** Argo CD annotation ordering a sync: lower waves are applied (and healthy) first. */
export const SYNC_WAVE_ANNOTATION = 'argocd.argoproj.io/sync-wave';

/**
 * Everything one shoot needs: the shared installer support, a ContainerRuntimeInstallation per
 * ContainerRuntime, and once per class a shoot-wide RuntimeClass that selects Gardener's runtime
 * label, so that workloads written for Gardener's own extensions (`runtimeClassName: gvisor`) keep
 * working. The chart has no namespace: RuntimeClasses are cluster-scoped and namespaced objects
 * name theirs explicitly.
 */
export class ShootRuntimesChart extends Chart {
  public readonly installations: readonly ContainerRuntimeInstallation[];
  /** The installers' shared ConfigMap and ServiceAccount; none when the shoot has no installer. */
  public readonly support?: InstallerSupport;

  constructor(scope: Construct, id: string, props: ShootRuntimesChartProps) {
    super(scope, id, { disableResourceNameHashes: true });
    const uninstalls = props.uninstalls ?? [];
    if (props.runtimes.length === 0 && uninstalls.length === 0) {
      this.installations = [];
      return;
    }
    const support = new InstallerSupport(this, 'InstallerSupport', props.installer);
    this.support = support;
    for (const u of uninstalls) {
      new UninstallDaemonSet(this, `Uninstall-${u.target.name}`, { ...u, support });
    }
    this.installations = props.runtimes.map(({ runtime, definition, runtimeConfig }) =>
      new ContainerRuntimeInstallation(this, runtime.name, {
        runtime, definition, support, runtimeConfig,
      }));

    const shootWide = new Map<string, { type: string; definition: RuntimeDefinition }>();
    // A shoot-wide class selects Gardener's runtime label: only where some pool's nodes carry it.
    const labelled = new Set(props.runtimes.filter((r) => r.runtime.nodesLabelled !== false).map((r) => r.runtime.type));
    for (const { runtime, definition } of props.runtimes) {
      if (!labelled.has(runtime.type)) continue;
      for (const c of definition.classes) {
        const seen = shootWide.get(c.name);
        if (seen && seen.type !== runtime.type) {
          this.node.addValidation({
            validate: () => [`RuntimeClass "${c.name}" would select both types "${seen.type}" and "${runtime.type}": use one spelling of the type per shoot`],
          });
        }
        shootWide.set(c.name, { type: runtime.type, definition });
        if (seen) continue;
        new k8s.KubeRuntimeClass(this, `Class-${c.name}`, {
          metadata: { name: c.name, labels: { ...MANAGED_BY, 'shoot-runtimes.dev/runtime-type': runtime.type } },
          handler: c.handler,
          overhead: overheadOf(c),
          scheduling: { nodeSelector: { [runtimeNodeLabel(runtime.type)]: 'true' } },
        });
      }
    }
    if (props.argoSyncWaves) {
      for (const object of this.node.findAll().filter((c): c is ApiObject => c instanceof ApiObject)) {
        object.metadata.addAnnotation(SYNC_WAVE_ANNOTATION, object.kind === 'RuntimeClass' ? '1' : '0');
      }
    }
  }
}
