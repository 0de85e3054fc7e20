/**
 * What the acknowledger does with one ContainerRuntime: the contract gardenlet waits for, read
 * from gardener/gardener. Pure: no I/O, the clock is an argument.
 *
 * - gardenlet writes the object with `gardener.cloud/operation` (reconcile, migrate, restore) and
 *   `gardener.cloud/timestamp` (pkg/component/extensions/containerruntime/containerruntime.go).
 * - It waits until the object passes CheckExtensionObject (pkg/utils/kubernetes/health/extensions.go):
 *   no lastError, observedGeneration == generation, no operation annotation, a lastOperation in
 *   state Succeeded whose lastUpdateTime is not before the timestamp truncated to the second.
 * - Migration waits for a lastOperation of type Migrate (pkg/gardenlet/operation/botanist and
 *   pkg/extensions: WaitUntilExtensionObjectsMigrated); restore first creates the object with
 *   `wait-for-state`, copies the state, then sets `restore` (RestoreExtensionWithDeployFunction).
 * - Deletion waits until the object is gone: without a finalizer of ours it goes by itself. A
 *   finalizer left by the extension this one replaced (Gardener's extension library writes
 *   `extensions.gardener.cloud/containerruntime...`, extensions/pkg/controller/containerruntime)
 *   would hold it forever, since only one registration serves a type: it is released.
 */

export const OPERATION_ANNOTATION = 'gardener.cloud/operation';
export const TIMESTAMP_ANNOTATION = 'gardener.cloud/timestamp';
/** The finalizer prefix of ContainerRuntime controllers built on Gardener's extension library. */
export const EXTENSION_FINALIZER_PREFIX = 'extensions.gardener.cloud/containerruntime';

/** The parts of a ContainerRuntime (extensions.gardener.cloud/v1alpha1) the decision reads. */
export interface ContainerRuntimeObject {
  readonly metadata: {
    readonly name: string;
    readonly namespace?: string;
    readonly generation?: number;
    readonly resourceVersion?: string;
    readonly deletionTimestamp?: string;
    readonly finalizers?: readonly string[];
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly spec?: { readonly type?: string; readonly workerPool?: { readonly name?: string } };
  readonly status?: {
    readonly observedGeneration?: number;
    readonly lastError?: unknown;
    readonly lastOperation?: { readonly type?: string; readonly state?: string; readonly lastUpdateTime?: string };
  };
}

/** The lastOperation the acknowledger writes. */
export interface LastOperation {
  readonly type: 'Create' | 'Reconcile' | 'Migrate' | 'Restore';
  readonly state: 'Succeeded';
  readonly progress: 100;
  readonly description: string;
  readonly lastUpdateTime: string;
}

export type Decision =
  | { readonly action: 'skip'; readonly reason: string }
  /** Being deleted, held by the replaced extension's finalizer: keep only the other finalizers. */
  | { readonly action: 'release'; readonly finalizers: readonly string[] }
  | {
    readonly action: 'acknowledge';
    /** For the status subresource, as a JSON merge patch (null removes lastError). */
    readonly status: { readonly observedGeneration: number; readonly lastOperation: LastOperation; readonly lastError: null };
    /** Whether the operation annotation must be removed afterwards (a second, metadata patch). */
    readonly removeOperation: boolean;
  };

/** The operation annotation values gardenlet sets on extension objects that the acknowledger answers. */
const OPERATIONS: readonly string[] = ['reconcile', 'migrate', 'restore'];

/** Says that the runtime comes through GitOps and where to look; it claims no installation. */
export function description(object: ContainerRuntimeObject): string {
  const type = object.spec?.type ?? '?';
  const pool = object.spec?.workerPool?.name ?? '?';
  return `Acknowledged by shoot-runtimes: runtime "${type}" for pool "${pool}" is delivered through GitOps, not by this `
    + `controller; whether it is installed shows in the shoot's kube-system DaemonSet ${object.metadata.name} and the `
    + 'GitOps agent that applies the shoot\'s directory';
}

/** RFC 3339 to the second, as metav1.Time serializes. */
export function formatTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');
}

/** Why gardenlet would not yet accept the object, or undefined (health/extensions.go, checkExtensionObject). */
export function gardenerWouldWait(object: ContainerRuntimeObject): string | undefined {
  const { status, metadata } = object;
  if (status?.lastError != null) return 'lastError is set';
  if ((status?.observedGeneration ?? 0) !== (metadata.generation ?? 0)) return 'observedGeneration is outdated';
  if (metadata.annotations?.[OPERATION_ANNOTATION] !== undefined) return 'operation annotation present';
  const op = status?.lastOperation;
  if (!op) return 'no lastOperation';
  if (op.state !== 'Succeeded') return `lastOperation is ${op.state}`;
  const stamp = metadata.annotations?.[TIMESTAMP_ANNOTATION];
  if (stamp !== undefined) {
    const requested = Date.parse(stamp);
    if (Number.isNaN(requested)) return 'timestamp annotation unparsable';
    if (Math.floor(requested / 1000) * 1000 > Date.parse(op.lastUpdateTime ?? '')) return 'lastOperation older than the timestamp';
  }
  return undefined;
}

/** The decision for one object of one of our types, at time `now` (ms since the epoch). */
export function decide(object: ContainerRuntimeObject, now: number): Decision {
  const { metadata, status } = object;
  if (metadata.deletionTimestamp !== undefined) {
    const finalizers = metadata.finalizers ?? [];
    const kept = finalizers.filter((f) => !f.startsWith(EXTENSION_FINALIZER_PREFIX));
    if (kept.length < finalizers.length) return { action: 'release', finalizers: kept };
    return { action: 'skip', reason: 'being deleted: no finalizer of ours holds it' };
  }
  const operation = metadata.annotations?.[OPERATION_ANNOTATION];
  if (operation === 'wait-for-state') return { action: 'skip', reason: 'waiting for gardenlet to restore its state' };
  if (operation !== undefined && !OPERATIONS.includes(operation)) return { action: 'skip', reason: `unknown operation "${operation}"` };
  const problem = gardenerWouldWait(object);
  if (problem === undefined) return { action: 'skip', reason: 'already acknowledged' };
  // Gardener's ComputeOperationType: Create until a first operation is recorded.
  const type: LastOperation['type'] = operation === 'migrate' ? 'Migrate' : operation === 'restore' ? 'Restore'
    : status?.lastOperation === undefined ? 'Create' : 'Reconcile';
  // gardenlet compares lastUpdateTime with its own clock's timestamp: never report a time before it.
  const stamp = Date.parse(metadata.annotations?.[TIMESTAMP_ANNOTATION] ?? '');
  const time = Number.isNaN(stamp) ? now : Math.max(now, stamp);
  return {
    action: 'acknowledge',
    status: {
      observedGeneration: metadata.generation ?? 0,
      lastOperation: { type, state: 'Succeeded', progress: 100, description: description(object), lastUpdateTime: formatTime(time) },
      lastError: null,
    },
    removeOperation: operation !== undefined,
  };
}
