import { DiagnosticCollector } from '../diagnostics';
import {
  Architecture, ContainerRuntime, GARDENER_BINARY_PATH, Origin, Taint, poolSelector, runtimeNodeLabel,
} from '../model/container-runtime';
import { asStringMap, field, fieldAt, isObject } from './fields';
import { DNS_LABEL } from '../validate/names';

export const SHOOT_API_VERSION = 'core.gardener.cloud/v1beta1';

const TAINT_EFFECTS = new Set(['NoSchedule', 'PreferNoSchedule', 'NoExecute']);

/**
 * The ContainerRuntimes gardenlet derives from a Shoot: one per worker pool per entry of the
 * pool's `cri.containerRuntimes`, named `<type>-<pool>`, installed to Gardener's binaryPath on the
 * nodes that carry the pool's label.
 */
export function containerRuntimesOfShoot(shoot: unknown, origin: Origin, problems: DiagnosticCollector): ContainerRuntime[] {
  const name = fieldAt(shoot, 'metadata', 'name');
  const namespace = fieldAt(shoot, 'metadata', 'namespace');
  const subject = `Shoot ${namespace ?? '?'}/${name ?? '?'}`;
  // Problems of a Shoot that names itself belong to that shoot (synth --keep-going keeps its output).
  const owner = typeof name === 'string' && DNS_LABEL.test(name) && typeof namespace === 'string' && DNS_LABEL.test(namespace) ? `${namespace}/${name}` : undefined;
  const report = (path: string, message: string) => problems.add({ origin, subject, path, message, ...(owner ? { shoot: owner } : {}) });
  if (typeof name !== 'string' || name === '') return report('metadata.name', 'is required'), [];
  if (!DNS_LABEL.test(name)) return report('metadata.name', `"${name}" must be a DNS label (lowercase letters, digits, '-', at most 63)`), [];
  if (typeof namespace !== 'string' || namespace === '') {
    return report('metadata.namespace', 'is required (the project namespace, e.g. garden-dev)'), [];
  }
  if (!DNS_LABEL.test(namespace)) return report('metadata.namespace', `"${namespace}" must be a DNS label (lowercase letters, digits, '-', at most 63)`), [];
  const workers = fieldAt(shoot, 'spec', 'provider', 'workers');
  if (workers === undefined) return [];
  if (!Array.isArray(workers)) return report('spec.provider.workers', 'must be a list'), [];

  const runtimes: ContainerRuntime[] = [];
  workers.forEach((worker, i) => {
    const at = `spec.provider.workers[${i}]`;
    const pool = field(worker, 'name');
    if (typeof pool !== 'string' || pool === '') return report(`${at}.name`, 'is required');
    const entries = fieldAt(worker, 'cri', 'containerRuntimes');
    if (entries === undefined || entries === null) return;
    if (!Array.isArray(entries)) return report(`${at}.cri.containerRuntimes`, 'must be a list');
    const criName = fieldAt(worker, 'cri', 'name') ?? 'containerd';
    if (criName !== 'containerd') {
      return report(`${at}.cri.name`, `must be containerd to run container runtimes, not ${JSON.stringify(criName)}`);
    }
    const taints = readTaints(field(worker, 'taints'), `${at}.taints`, report);
    const architecture = (fieldAt(worker, 'machine', 'architecture') ?? 'amd64') as Architecture;
    entries.forEach((entry, j) => {
      const entryPath = `${at}.cri.containerRuntimes[${j}]`;
      const type = field(entry, 'type');
      if (typeof type !== 'string' || type === '') return report(`${entryPath}.type`, 'is required');
      runtimes.push({
        name: `${type}-${pool}`,
        type,
        shoot: { projectNamespace: namespace, name },
        pool,
        binaryPath: GARDENER_BINARY_PATH,
        nodeSelector: poolSelector(pool),
        taints,
        architecture,
        providerConfig: field(entry, 'providerConfig'),
        origin: {
          ...origin,
          subject,
          fields: { type: `${entryPath}.type`, pool: `${at}.name`, taints: `${at}.taints`, providerConfig: `${entryPath}.providerConfig` },
        },
      });
    });
  });
  return runtimes;
}

function readTaints(value: unknown, at: string, report: (path: string, message: string) => void): Taint[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) return report(at, 'must be a list'), [];
  const taints: Taint[] = [];
  value.forEach((taint, i) => {
    const key = field(taint, 'key');
    const effect = field(taint, 'effect');
    const taintValue = field(taint, 'value');
    if (!isObject(taint) || typeof key !== 'string' || key === '') return report(`${at}[${i}].key`, 'is required');
    if (typeof effect !== 'string' || !TAINT_EFFECTS.has(effect)) {
      return report(`${at}[${i}].effect`, `must be one of ${[...TAINT_EFFECTS].join(', ')}`);
    }
    if (taintValue !== undefined && typeof taintValue !== 'string') return report(`${at}[${i}].value`, 'must be a string');
    taints.push({ key, effect: effect as Taint['effect'], ...(taintValue ? { value: taintValue } : {}) });
  });
  return taints;
}

/** `spec.assignments[]` of the pipeline file: a runtime the pipeline declares for pools of matching shoots. */
export interface Assignment {
  /** Shoots by `namespace/name`, or by their labels. */
  readonly shoots: { readonly names?: readonly string[]; readonly selector?: Readonly<Record<string, string>> };
  readonly pool: string;
  readonly type: string;
  readonly providerConfig?: unknown;
  /** Where the assignment is written, and its path (`spec.assignments[0]`). */
  readonly origin: Origin;
  readonly subject: string;
  readonly path: string;
}

/** Whether an assignment names this shoot. */
export function assignmentMatches(a: Assignment, namespace: string, name: string, labels: Readonly<Record<string, string>>): boolean {
  if (a.shoots.names) return a.shoots.names.includes(`${namespace}/${name}`);
  return Object.entries(a.shoots.selector ?? {}).every(([k, v]) => labels[k] === v);
}

/**
 * The ContainerRuntimes the pipeline file assigns to a Shoot: like declared ones, on the named
 * pool with its taints and architecture, but pointing at the assignment for messages; the
 * shoot-wide class works only if the pool's worker labels mark the runtime (nodesLabelled).
 */
export function assignedContainerRuntimes(
  shoot: unknown, assignments: readonly Assignment[], problems: DiagnosticCollector,
): ContainerRuntime[] {
  const name = fieldAt(shoot, 'metadata', 'name');
  const namespace = fieldAt(shoot, 'metadata', 'namespace');
  if (typeof name !== 'string' || typeof namespace !== 'string' || !DNS_LABEL.test(name) || !DNS_LABEL.test(namespace)) return [];
  const labels = asStringMap(fieldAt(shoot, 'metadata', 'labels')) ?? {};
  const workers = fieldAt(shoot, 'spec', 'provider', 'workers');
  const runtimes: ContainerRuntime[] = [];
  for (const a of assignments.filter((x) => assignmentMatches(x, namespace, name, labels))) {
    const report = (message: string) => problems.add({ origin: a.origin, subject: a.subject, path: `${a.path}.pool`, message });
    const worker = Array.isArray(workers) ? workers.find((w) => field(w, 'name') === a.pool) : undefined;
    if (!worker) {
      report(`shoot ${namespace}/${name} has no worker pool "${a.pool}"`);
      continue;
    }
    const criName = fieldAt(worker, 'cri', 'name') ?? 'containerd';
    if (criName !== 'containerd') {
      report(`pool "${a.pool}" of shoot ${namespace}/${name} uses ${JSON.stringify(criName)}, not containerd`);
      continue;
    }
    const workerLabels = asStringMap(field(worker, 'labels')) ?? {};
    runtimes.push({
      name: `${a.type}-${a.pool}`,
      type: a.type,
      shoot: { projectNamespace: namespace, name },
      pool: a.pool,
      binaryPath: GARDENER_BINARY_PATH,
      nodeSelector: poolSelector(a.pool),
      taints: readTaints(field(worker, 'taints'), 'taints', () => undefined),
      architecture: (fieldAt(worker, 'machine', 'architecture') ?? 'amd64') as Architecture,
      providerConfig: a.providerConfig,
      nodesLabelled: workerLabels[runtimeNodeLabel(a.type)] === 'true',
      assigned: true,
      origin: {
        ...a.origin,
        subject: a.subject,
        fields: { type: `${a.path}.type`, pool: `${a.path}.pool`, providerConfig: `${a.path}.providerConfig` },
      },
    });
  }
  return runtimes;
}
