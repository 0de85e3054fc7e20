import { k8s } from 'cdk8s-plus-27';
import { Construct } from 'constructs';
import { RuntimeClassDefinition, RuntimeDefinition } from '../catalog/types';
import { renderRuntimeConfig } from '../catalog/runtime-config';
import { DiagnosticCollector } from '../diagnostics';
import { ContainerRuntime } from '../model/container-runtime';
import { InstallerDaemonSet, tolerationsFor } from './installer-daemon-set';
import { InstallerSupport } from './installer-support';
import { runtimeLabels } from './labels';

export interface ContainerRuntimeInstallationProps {
  readonly runtime: ContainerRuntime;
  /** The catalog entry of the runtime's type. */
  readonly definition: RuntimeDefinition;
  readonly support: InstallerSupport;
  /** The runtime's own configuration file (e.g. runsc.toml). @default - none */
  readonly runtimeConfig?: string;
}

/**
 * One ContainerRuntime made real: a RuntimeClass `<class>-<pool>` per class of the runtime, which
 * schedules onto the pool's nodes and tolerates its taints, and the installer DaemonSet that puts
 * the runtime onto those nodes.
 */
export class ContainerRuntimeInstallation extends Construct {
  /** Name of the RuntimeClass for class `c` on this pool. */
  public static poolClassName(c: RuntimeClassDefinition, pool: string): string {
    return `${c.name}-${pool}`;
  }

  public readonly runtimeClassNames: readonly string[];
  public readonly installer: InstallerDaemonSet;

  constructor(scope: Construct, id: string, props: ContainerRuntimeInstallationProps) {
    super(scope, id);
    const { runtime, definition } = props;
    const labels = runtimeLabels(runtime.name, runtime.type, runtime.pool);
    const tolerations = runtime.taints === undefined ? undefined : tolerationsFor(runtime.taints);
    this.runtimeClassNames = definition.classes.map((c) => {
      const name = ContainerRuntimeInstallation.poolClassName(c, runtime.pool);
      new k8s.KubeRuntimeClass(this, name, {
        metadata: { name, labels },
        handler: c.handler,
        overhead: overheadOf(c),
        scheduling: {
          nodeSelector: { ...runtime.nodeSelector },
          ...(tolerations && tolerations.length > 0 ? { tolerations } : {}),
        },
      });
      return name;
    });
    this.installer = new InstallerDaemonSet(this, 'Installer', {
      ...props,
      runtimeConfig: props.runtimeConfig ?? defaultRuntimeConfig(runtime, definition),
    });
  }
}

/**
 * The runtime's own configuration file rendered from the ContainerRuntime's providerConfig, for
 * library users who pass none (the handler's options may point at it, e.g. gVisor's ConfigPath).
 */
function defaultRuntimeConfig(runtime: ContainerRuntime, definition: RuntimeDefinition): string | undefined {
  const problems = new DiagnosticCollector();
  const config = renderRuntimeConfig(runtime, definition, problems);
  problems.throwIfAny();
  return config;
}

/** A RuntimeClass's pod overhead, or `undefined` when the class declares none. */
export function overheadOf(c: RuntimeClassDefinition): k8s.Overhead | undefined {
  const podFixed: Record<string, k8s.Quantity> = {};
  if (c.overhead?.cpu) podFixed.cpu = k8s.Quantity.fromString(c.overhead.cpu);
  if (c.overhead?.memory) podFixed.memory = k8s.Quantity.fromString(c.overhead.memory);
  return Object.keys(podFixed).length > 0 ? { podFixed } : undefined;
}
