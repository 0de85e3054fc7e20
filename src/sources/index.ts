import { DiagnosticCollector } from '../diagnostics';
import { ContainerRuntime, compareContainerRuntimes, diagnosticAt, shootKey } from '../model/container-runtime';
import { CONTAINER_RUNTIME_API_VERSION, containerRuntimeOfObject } from './container-runtime-object';
import { SourceDocument, readDocuments } from './documents';
import { field, fieldAt } from './fields';
import { Assignment, SHOOT_API_VERSION, assignedContainerRuntimes, containerRuntimesOfShoot } from './shoot';

export { SourceDocument, parseDocuments, listInputFiles } from './documents';

/** What the read and model stages found in the inputs. */
export interface ModelResult {
  /** Every ContainerRuntime, sorted by project namespace, shoot, pool and type. */
  readonly runtimes: readonly ContainerRuntime[];
  /** Every shoot that appeared in the inputs, runtimes or not, as `namespace/name`, sorted. */
  readonly shoots: readonly string[];
  /** Documents of other kinds, skipped. */
  readonly skipped: number;
  /** Every worker pool of each Shoot (by `namespace/name`); absent for shoots known only from ContainerRuntime objects. */
  readonly pools: ReadonlyMap<string, ReadonlySet<string>>;
}

/** Reads every input path and turns its Shoots and ContainerRuntimes (and the pipeline's assignments) into the model. */
export function readContainerRuntimes(paths: readonly string[], problems: DiagnosticCollector, assignments: readonly Assignment[] = []): ModelResult {
  return modelContainerRuntimes(readDocuments(paths, problems), problems, assignments);
}

/** The model stage: documents in, ContainerRuntimes out, other kinds counted as skipped. */
export function modelContainerRuntimes(
  documents: readonly SourceDocument[], problems: DiagnosticCollector, assignments: readonly Assignment[] = [],
): ModelResult {
  const named = new Set<string>();
  const runtimes: ContainerRuntime[] = [];
  const shoots = new Set<string>();
  const pools = new Map<string, Set<string>>();
  let skipped = 0;
  for (const { content, origin } of documents) {
    const apiVersion = field(content, 'apiVersion');
    const kind = field(content, 'kind');
    if (apiVersion === SHOOT_API_VERSION && kind === 'Shoot') {
      const found = [...containerRuntimesOfShoot(content, origin, problems), ...assignedContainerRuntimes(content, assignments, problems)];
      const namespace = fieldAt(content, 'metadata', 'namespace');
      const name = fieldAt(content, 'metadata', 'name');
      if (typeof namespace === 'string' && typeof name === 'string') {
        shoots.add(`${namespace}/${name}`);
        named.add(`${namespace}/${name}`);
        const workers = fieldAt(content, 'spec', 'provider', 'workers');
        pools.set(`${namespace}/${name}`, new Set(Array.isArray(workers) ? workers.map((w) => field(w, 'name')).filter((n): n is string => typeof n === 'string') : []));
      }
      runtimes.push(...found);
    } else if (apiVersion === CONTAINER_RUNTIME_API_VERSION && kind === 'ContainerRuntime') {
      const found = containerRuntimeOfObject(content, origin, problems);
      found.forEach((runtime) => shoots.add(shootKey(runtime.shoot)));
      runtimes.push(...found);
    } else {
      skipped++;
    }
  }
  for (const a of assignments) {
    for (const key of a.shoots.names ?? []) {
      if (!named.has(key)) problems.add({ origin: a.origin, subject: a.subject, path: `${a.path}.shoots.names`, message: `no Shoot ${key} in the inputs` });
    }
  }
  runtimes.sort(compareContainerRuntimes);
  return { runtimes: withoutDuplicates(runtimes, problems), shoots: [...shoots].sort(), skipped, pools };
}

/** Reports (and drops) a second input asking for the same runtime type on the same pool of the same shoot. */
function withoutDuplicates(sorted: readonly ContainerRuntime[], problems: DiagnosticCollector): ContainerRuntime[] {
  const kept: ContainerRuntime[] = [];
  for (const b of sorted) {
    const a = kept[kept.length - 1];
    if (!a || compareContainerRuntimes(a, b) !== 0) {
      kept.push(b);
    } else {
      problems.add(diagnosticAt(b, 'type', `runtime type "${b.type}" is declared twice for pool ${b.pool} of shoot ${shootKey(b.shoot)} (also at ${a.origin.file}:${a.origin.line})`));
    }
  }
  return kept;
}
