/**
 * The normalized ContainerRuntime: one per worker pool per runtime type, whichever input it came
 * from (a Shoot's worker pools or a seed's ContainerRuntime objects). Every later stage works on
 * this shape only.
 */

/** CPU architectures Gardener worker pools run on. */
export type Architecture = 'amd64' | 'arm64';

/** Where a value came from, so that messages can point at it. */
export interface Origin {
  /** The input file, as given (relative paths stay relative). */
  readonly file: string;
  /** 1-based line where the document (or field) starts. */
  readonly line: number;
}

/** The fields of a ContainerRuntime whose source position messages can point at. */
export type SourceField = 'name' | 'type' | 'pool' | 'binaryPath' | 'nodeSelector' | 'taints' | 'providerConfig';

/** Where a ContainerRuntime came from: the input object and the paths of its fields in it. */
export interface SourceRef extends Origin {
  /** The input object, e.g. `Shoot garden-dev/alpha`. @default - named after the ContainerRuntime */
  readonly subject?: string;
  /** Field paths in the input object, e.g. type -> `spec.provider.workers[0].cri.containerRuntimes[1].type`. */
  readonly fields?: Readonly<Partial<Record<SourceField, string>>>;
}

/** The shoot an object belongs to. */
export interface ShootRef {
  /** The project namespace in the garden, e.g. `garden-dev`. */
  readonly projectNamespace: string;
  /** The shoot's name. */
  readonly name: string;
}

/** A node taint (core/v1), as a worker pool declares it. */
export interface Taint {
  readonly key: string;
  readonly value?: string;
  readonly effect: 'NoSchedule' | 'PreferNoSchedule' | 'NoExecute';
}

/** One ContainerRuntime: runtime `type` installed on the nodes of worker pool `pool` of one shoot. */
export interface ContainerRuntime {
  /** `<type>-<pool>`, as gardenlet names it. */
  readonly name: string;
  /** The runtime type exactly as written in the input (Gardener labels nodes with it). */
  readonly type: string;
  readonly shoot: ShootRef;
  /** The worker pool's name. */
  readonly pool: string;
  /** Absolute host directory the runtime's files are installed into. */
  readonly binaryPath: string;
  /** Labels that select exactly the pool's nodes. */
  readonly nodeSelector: Readonly<Record<string, string>>;
  /** The pool's taints; `undefined` when the input does not say (ContainerRuntime objects). */
  readonly taints?: readonly Taint[];
  /** The pool's architecture; `undefined` when the input does not say. */
  readonly architecture?: Architecture;
  /** The runtime's free-form configuration from the input. */
  readonly providerConfig?: unknown;
  /**
   * Whether the pool's nodes carry `containerruntime.worker.gardener.cloud/<type>: "true"`, which
   * the shoot-wide RuntimeClass selects. Gardener sets it for runtimes declared in the Shoot; a
   * runtime assigned by the pipeline file has it only when the pool's worker labels add it.
   * @default true
   */
  readonly nodesLabelled?: boolean;
  /** Assigned by the pipeline file (`spec.assignments`), not declared in a Shoot: not registered with Gardener. @default false */
  readonly assigned?: boolean;
  readonly origin: SourceRef;
}

/** The nodes a runtime's installer (or uninstaller) runs on, and where the runtime lives there. */
export type NodeTarget = Pick<ContainerRuntime, 'name' | 'type' | 'pool' | 'binaryPath' | 'nodeSelector' | 'taints'>;

/** gardenlet's binaryPath for every ContainerRuntime it creates. */
export const GARDENER_BINARY_PATH = '/var/bin/containerruntimes';

/** The label Gardener sets on every node of a pool: the pool's name. */
export const POOL_LABEL = 'worker.gardener.cloud/pool';
/** The deprecated twin of POOL_LABEL, still part of gardenlet's selectors. */
export const LEGACY_POOL_LABEL = 'worker.garden.sapcloud.io/group';
/** The label Gardener sets on every node whose pool uses containerd. */
export const CRI_NAME_LABEL = 'worker.gardener.cloud/cri-name';

/** The label Gardener sets to "true" on every node of a pool that declares runtime `type`. */
export function runtimeNodeLabel(type: string): string {
  return `containerruntime.worker.gardener.cloud/${type}`;
}

/** gardenlet's selector for a pool's ContainerRuntime. */
export function poolSelector(pool: string): Record<string, string> {
  return { [POOL_LABEL]: pool, [LEGACY_POOL_LABEL]: pool };
}

/** A stable sort key: project namespace, shoot, pool, type. */
export function compareContainerRuntimes(a: ContainerRuntime, b: ContainerRuntime): number {
  return compareStrings(a.shoot.projectNamespace, b.shoot.projectNamespace)
    || compareStrings(a.shoot.name, b.shoot.name)
    || compareStrings(a.pool, b.pool)
    || compareStrings(a.type, b.type);
}

/** Code-point order, independent of the locale (output must not vary between machines). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A diagnostic about `field` of a ContainerRuntime, pointing into the input it came from. */
export function diagnosticAt(runtime: ContainerRuntime, field: SourceField | undefined, message: string) {
  const { subject, fields, ...origin } = runtime.origin;
  return {
    origin,
    subject: subject ?? `ContainerRuntime ${runtime.name} of shoot ${shootKey(runtime.shoot)}`,
    path: field ? fields?.[field] : undefined,
    message,
    shoot: shootKey(runtime.shoot),
  };
}

/** `garden-dev/my-shoot` */
export function shootKey(shoot: ShootRef): string {
  return `${shoot.projectNamespace}/${shoot.name}`;
}
