import { DiagnosticCollector } from '../diagnostics';
import { ContainerRuntime, Origin, compareContainerRuntimes, compareStrings, diagnosticAt, shootKey } from '../model/container-runtime';
import { CONTAINER_RUNTIME_API_VERSION, containerRuntimeOfObject } from './container-runtime-object';
import { SourceDocument, readDocuments } from './documents';
import { field, fieldAt, isObject } from './fields';
import { kubernetesObjects } from './objects';
import { Assignment, SHOOT_API_VERSION, assignedContainerRuntimes, containerRuntimesOfShoot } from './shoot';

export { SourceDocument, parseDocuments, listInputFiles } from './documents';
export { KubernetesObject, kubernetesObjects } from './objects';

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
  const shootAt = new Map<string, Origin>();
  const seedObjectAt = new Map<string, Origin>();
  const declared: ContainerRuntime[] = [];
  const assigned: ContainerRuntime[] = [];
  const fromSeed: ContainerRuntime[] = [];
  const shoots = new Set<string>();
  const pools = new Map<string, Set<string>>();
  let skipped = 0;
  for (const { apiVersion, kind, content, origin } of kubernetesObjects(documents, problems)) {
    if (apiVersion === SHOOT_API_VERSION && kind === 'Shoot') {
      const key = objectKey(content);
      if (key !== undefined && isDuplicate(shootAt, key, origin, `Shoot ${key}`, problems, key)) continue;
      declared.push(...containerRuntimesOfShoot(content, origin, problems));
      assigned.push(...assignedContainerRuntimes(content, assignments, problems));
      if (key !== undefined) {
        shoots.add(key);
        const workers = fieldAt(content, 'spec', 'provider', 'workers');
        pools.set(key, new Set(Array.isArray(workers) ? workers.map((w) => field(w, 'name')).filter((n): n is string => typeof n === 'string') : []));
      }
    } else if (apiVersion === CONTAINER_RUNTIME_API_VERSION && kind === 'ContainerRuntime') {
      const key = objectKey(content);
      if (key !== undefined && isDuplicate(seedObjectAt, key, origin, `ContainerRuntime ${key}`, problems)) continue;
      fromSeed.push(...containerRuntimeOfObject(content, origin, problems));
    } else {
      skipped++;
    }
  }
  const seedOnly = fromSeed.filter((runtime) => !sameAsShoot(runtime, declared, shootAt, problems));
  seedOnly.forEach((runtime) => shoots.add(shootKey(runtime.shoot)));
  for (const a of assignments) {
    for (const key of a.shoots.names ?? []) {
      if (!shootAt.has(key)) problems.add({ origin: a.origin, subject: a.subject, path: `${a.path}.shoots.names`, message: `no Shoot ${key} in the inputs` });
    }
  }
  const runtimes = [...declared, ...assigned, ...seedOnly].sort(compareContainerRuntimes);
  return { runtimes: withoutDuplicates(runtimes, problems), shoots: [...shoots].sort(), skipped, pools };
}

/** `namespace/name` of an object, when both are strings. */
function objectKey(content: unknown): string | undefined {
  const namespace = fieldAt(content, 'metadata', 'namespace');
  const name = fieldAt(content, 'metadata', 'name');
  return typeof namespace === 'string' && typeof name === 'string' ? `${namespace}/${name}` : undefined;
}

/** Reports an object seen before (naming both places); remembers it otherwise. */
function isDuplicate(
  seen: Map<string, Origin>, key: string, origin: Origin, subject: string, problems: DiagnosticCollector, shoot?: string,
): boolean {
  const first = seen.get(key);
  if (!first) {
    seen.set(key, origin);
    return false;
  }
  problems.add({ origin, subject, message: `appears twice in the inputs, here and at ${first.file}:${first.line}; keep one of them`, ...(shoot ? { shoot } : {}) });
  return true;
}

/**
 * Whether a seed ContainerRuntime is the one gardenlet derived from a Shoot of the inputs (the
 * README's `--input garden/ --input seed/`): then the Shoot's runtime stands for both. They agree
 * when the Shoot declares the same type on the same pool and the object has exactly what gardenlet
 * derives from it: name, binaryPath, selector and providerConfig. Anything else is reported,
 * naming both places: the Shoot and the seed disagree about one runtime.
 */
function sameAsShoot(seed: ContainerRuntime, declared: readonly ContainerRuntime[], shootAt: ReadonlyMap<string, Origin>, problems: DiagnosticCollector): boolean {
  const shoot = shootAt.get(shootKey(seed.shoot));
  if (!shoot) return false;
  const match = declared.find((r) => compareContainerRuntimes(r, seed) === 0);
  if (!match) {
    problems.add(diagnosticAt(seed, 'type', `the Shoot ${shootKey(seed.shoot)} of the inputs (${shoot.file}:${shoot.line}) declares no runtime `
      + `"${seed.type}" on pool ${seed.pool}: the seed and the Shoot disagree (is one of the exports out of date?)`));
    return true;
  }
  const differ = seedDifferences(match, seed);
  if (differ.length > 0) {
    problems.add(diagnosticAt(seed, undefined, `differs from runtime "${match.type}" of pool ${match.pool} of Shoot ${shootKey(match.shoot)} `
      + `(${match.origin.file}:${match.origin.line}) in ${differ.join(', ')}: the seed and the Shoot disagree (is one of the exports out of date?)`));
  }
  return true;
}

/** The fields in which a seed object differs from what gardenlet derives from the Shoot's runtime. */
export function seedDifferences(fromShoot: ContainerRuntime, seed: ContainerRuntime): string[] {
  return [
    fromShoot.name !== seed.name ? 'metadata.name' : undefined,
    fromShoot.binaryPath !== seed.binaryPath ? 'spec.binaryPath' : undefined,
    canonicalJson(fromShoot.nodeSelector) !== canonicalJson(seed.nodeSelector) ? 'spec.workerPool.selector' : undefined,
    canonicalJson(fromShoot.providerConfig ?? null) !== canonicalJson(seed.providerConfig ?? null) ? 'spec.providerConfig' : undefined,
  ].filter((d): d is string => d !== undefined);
}

/** JSON with keys sorted at every level: equal for equal values, whatever the key order. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_, v: unknown) => (isObject(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => compareStrings(a, b))) : v));
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
