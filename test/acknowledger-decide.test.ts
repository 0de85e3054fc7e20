import { ContainerRuntimeObject, decide, gardenerWouldWait } from '../src/acknowledger/decide';

/*
 * The acknowledger's decision, table-driven against the contract read from gardener/gardener:
 *  [deploy]  pkg/component/extensions/containerruntime/containerruntime.go, deploy(): gardenlet
 *            merge-patches the object with gardener.cloud/operation and gardener.cloud/timestamp
 *            (RFC3339Nano, its own clock).
 *  [health]  pkg/utils/kubernetes/health/extensions.go, checkExtensionObject(): no lastError;
 *            observedGeneration == generation; no operation annotation; a lastOperation in state
 *            Succeeded; the timestamp, truncated to the second, not after lastUpdateTime.
 *  [restore] pkg/extensions (RestoreExtensionWithDeployFunction): the object is first written
 *            with operation wait-for-state, the state copied in, then operation restore.
 *  [migrate] pkg/extensions (MigrateExtensionObjects / WaitUntilExtensionObjectsMigrated):
 *            operation migrate, then a lastOperation of type Migrate, state Succeeded.
 *  [delete]  DeleteExtensionObjects / WaitUntilExtensionObjectsDeleted: the object must go; a
 *            controller that adds no finalizer holds nothing up.
 */

const NOW = Date.parse('2026-12-02T10:00:30.700Z');
const STAMP = '2026-12-02T10:00:10.123456789Z';

function object(overrides: { annotations?: Record<string, string>; generation?: number; status?: any; deletionTimestamp?: string } = {}): ContainerRuntimeObject {
  return {
    metadata: {
      name: 'gvisor-sandbox', namespace: 'shoot--dev--alpha', generation: overrides.generation ?? 2, resourceVersion: '7',
      ...(overrides.annotations ? { annotations: overrides.annotations } : {}),
      ...(overrides.deletionTimestamp ? { deletionTimestamp: overrides.deletionTimestamp } : {}),
    },
    spec: { type: 'gvisor', workerPool: { name: 'sandbox' } },
    ...(overrides.status ? { status: overrides.status } : {}),
  };
}

const requested = (operation: string) => ({ 'gardener.cloud/operation': operation, 'gardener.cloud/timestamp': STAMP });
const succeeded = (type: string, lastUpdateTime = '2026-12-02T10:00:20Z', observedGeneration = 2) =>
  ({ observedGeneration, lastOperation: { type, state: 'Succeeded', progress: 100, lastUpdateTime } });

type Row = [string, ContainerRuntimeObject, 'skip' | string];
const rows: Row[] = [
  ['[deploy] a new object with operation reconcile: Create (first operation), annotation removed', object({ annotations: requested('reconcile') }), 'Create'],
  ['[deploy] a reconcile of an object acknowledged before: Reconcile', object({ annotations: requested('reconcile'), status: succeeded('Create', '2026-12-02T09:00:00Z') }), 'Reconcile'],
  ['[health] a spec change (generation 3, observed 2) without the annotation is answered', object({ generation: 3, status: succeeded('Reconcile') }), 'Reconcile'],
  ['[health] a lastError left by a previous controller is cleared', object({ status: { ...succeeded('Reconcile'), lastError: { description: 'old extension failed' } } }), 'Reconcile'],
  ['[health] a timestamp newer than lastUpdateTime (a new request) is answered again', object({ annotations: { 'gardener.cloud/timestamp': STAMP }, status: succeeded('Reconcile', '2026-12-02T10:00:09Z') }), 'Reconcile'],
  ['[health] a lastOperation that is not Succeeded (another controller\'s Error) is answered', object({ status: { observedGeneration: 2, lastOperation: { type: 'Reconcile', state: 'Error', lastUpdateTime: '2026-12-02T10:00:20Z' } } }), 'Reconcile'],
  ['[health] already healthy (timestamp truncated to 10:00:10, lastUpdateTime 10:00:10): nothing to do', object({ annotations: { 'gardener.cloud/timestamp': STAMP }, status: succeeded('Reconcile', '2026-12-02T10:00:10Z') }), 'skip'],
  ['[migrate] operation migrate: lastOperation type Migrate', object({ annotations: requested('migrate'), status: succeeded('Reconcile') }), 'Migrate'],
  ['[migrate] migrated and no new request: nothing to do', object({ annotations: { 'gardener.cloud/timestamp': STAMP }, status: succeeded('Migrate', '2026-12-02T10:00:30Z') }), 'skip'],
  ['[restore] operation wait-for-state: gardenlet is still copying the state, wait', object({ annotations: requested('wait-for-state') }), 'skip'],
  ['[restore] operation restore: lastOperation type Restore', object({ annotations: requested('restore') }), 'Restore'],
  ['[delete] an object being deleted: nothing (no finalizer of ours holds it)', object({ annotations: requested('reconcile'), deletionTimestamp: '2026-12-02T10:00:00Z' }), 'skip'],
  ['[delete] being deleted, held by the replaced extension\'s finalizer: released, other finalizers kept', { ...object({ deletionTimestamp: '2026-12-02T10:00:00Z' }), metadata: { ...object().metadata, deletionTimestamp: '2026-12-02T10:00:00Z', finalizers: ['extensions.gardener.cloud/containerruntime', 'example.com/keep'] } }, 'release'],
  ['an operation value gardenlet does not use for extension objects is left alone', object({ annotations: requested('something-else') }), 'skip'],
];

test.each(rows)('%s', (_name, input, expected) => {
  const decision = decide(input, NOW);
  if (expected === 'release') {
    expect(decision).toEqual({ action: 'release', finalizers: ['example.com/keep'] });
    return;
  }
  if (expected === 'skip') {
    expect(decision.action).toBe('skip');
    return;
  }
  if (decision.action !== 'acknowledge') throw new Error(`expected an acknowledgement, got ${JSON.stringify(decision)}`);
  expect(decision.status.lastOperation.type).toBe(expected);
  expect(decision.status.lastOperation).toEqual(expect.objectContaining({ state: 'Succeeded', progress: 100, lastUpdateTime: '2026-12-02T10:00:30Z' }));
  expect(decision.status.observedGeneration).toBe(input.metadata.generation);
  expect(decision.status.lastError).toBeNull();
  expect(decision.removeOperation).toBe(input.metadata.annotations?.['gardener.cloud/operation'] !== undefined);
  // Applying the answer (status, then the annotation removed) passes gardenlet's own check [health].
  const { 'gardener.cloud/operation': _, ...kept } = input.metadata.annotations ?? {};
  const answered = { ...input, metadata: { ...input.metadata, annotations: kept }, status: decision.status };
  expect(gardenerWouldWait(answered)).toBeUndefined();
});

test('[health] gardenlet\'s clock ahead of ours: lastUpdateTime is never before the timestamp', () => {
  const ahead = '2026-12-02T10:00:45.900Z';
  const decision = decide(object({ annotations: { 'gardener.cloud/operation': 'reconcile', 'gardener.cloud/timestamp': ahead } }), NOW);
  if (decision.action !== 'acknowledge') throw new Error('expected an acknowledgement');
  expect(decision.status.lastOperation.lastUpdateTime).toBe('2026-12-02T10:00:45Z');
  expect(gardenerWouldWait({ ...object({ annotations: { 'gardener.cloud/timestamp': ahead } }), status: decision.status })).toBeUndefined();
});

test('the description says the runtime comes through GitOps and where to look, and claims no installation', () => {
  const decision = decide(object({ annotations: requested('reconcile') }), NOW);
  if (decision.action !== 'acknowledge') throw new Error('expected an acknowledgement');
  const text = decision.status.lastOperation.description;
  expect(text).toContain('delivered through GitOps');
  expect(text).toContain('DaemonSet gvisor-sandbox');
  expect(text).not.toMatch(/\binstalled (on|successfully)\b/);
});

test('[health] gardenerWouldWait mirrors checkExtensionObject, one condition at a time', () => {
  const healthy = { ...object(), status: succeeded('Reconcile') };
  expect(gardenerWouldWait(healthy)).toBeUndefined();
  expect(gardenerWouldWait({ ...healthy, status: { ...healthy.status, lastError: { description: 'x' } } })).toBe('lastError is set');
  expect(gardenerWouldWait({ ...healthy, status: { ...healthy.status, observedGeneration: 1 } })).toBe('observedGeneration is outdated');
  expect(gardenerWouldWait({ ...healthy, metadata: { ...healthy.metadata, annotations: { 'gardener.cloud/operation': 'reconcile' } } })).toBe('operation annotation present');
  expect(gardenerWouldWait({ ...healthy, status: { observedGeneration: 2 } })).toBe('no lastOperation');
});
