import { ContainerRuntime, LEGACY_POOL_LABEL, NodeTarget, POOL_LABEL, ShootRef, compareStrings } from './container-runtime';

/**
 * What the output says is installed on a shoot's nodes, kept in the output directory
 * (`.shoot-runtimes/installed/<namespace>/<shoot>.json`) so that a later synth, from a fresh
 * clone in CI, knows what to uninstall when a runtime leaves a pool.
 */
export interface InstalledRuntime extends NodeTarget {
  /** The installer's environment: what was installed, and so what to remove. */
  readonly env: Readonly<Record<string, string>>;
}

export interface ShootState {
  readonly installed: readonly InstalledRuntime[];
  /** Runtimes that left a pool that still exists: their uninstallers are rendered until retired. */
  readonly uninstalling: readonly InstalledRuntime[];
}

/** Where a shoot's state lives in the output directory. */
export function stateFilePath(shoot: ShootRef): string {
  return `.shoot-runtimes/installed/${shoot.projectNamespace}/${shoot.name}.json`;
}

/** `pool/type`: a runtime's identity within its shoot. */
export function runtimeKey(r: { pool: string; type: string }): string {
  return `${r.pool}/${r.type}`;
}

const byPoolAndType = (a: InstalledRuntime, b: InstalledRuntime) => compareStrings(runtimeKey(a), runtimeKey(b));

/**
 * The record of one ContainerRuntime being installed with `env`. Its node selector always names
 * the pool (a seed object's selector may lack Gardener's pool label): a record is read back only
 * when it selects its own pool's nodes (src/output/state.ts).
 */
export function installedRecord(runtime: ContainerRuntime, env: Readonly<Record<string, string>>): InstalledRuntime {
  const { name, type, pool, binaryPath, taints } = runtime;
  const namesPool = runtime.nodeSelector[POOL_LABEL] === pool || runtime.nodeSelector[LEGACY_POOL_LABEL] === pool;
  const nodeSelector = namesPool ? runtime.nodeSelector : { ...runtime.nodeSelector, [POOL_LABEL]: pool };
  return { name, type, pool, binaryPath, nodeSelector, ...(taints ? { taints } : {}), env };
}

/**
 * The next state of a shoot: what is installed now, and what is being uninstalled: every runtime
 * that was installed (or was being uninstalled) and is no longer asked for, on a pool that still
 * exists (`pools`; `undefined` when the inputs cannot tell, i.e. ContainerRuntime objects). A
 * pending uninstall ends when `retire` says so; one that starts now is always rendered at least once.
 */
export function nextShootState(
  previous: ShootState | undefined,
  installed: readonly InstalledRuntime[],
  pools: ReadonlySet<string> | undefined,
  retire: (r: InstalledRuntime) => boolean,
): ShootState {
  const current = new Set(installed.map(runtimeKey));
  const uninstalling = new Map<string, InstalledRuntime>();
  const pending = new Set((previous?.uninstalling ?? []).map(runtimeKey));
  for (const r of [...(previous?.uninstalling ?? []), ...(previous?.installed ?? [])]) {
    const key = runtimeKey(r);
    if (current.has(key) || uninstalling.has(key) || (pools && !pools.has(r.pool))) continue;
    if (pending.has(key) && retire(r)) continue;
    uninstalling.set(key, r);
  }
  return { installed: [...installed].sort(byPoolAndType), uninstalling: [...uninstalling.values()].sort(byPoolAndType) };
}

/** Files of `r` that a runtime installed on the same pool still uses. */
export function sharedFiles(r: InstalledRuntime, installed: readonly InstalledRuntime[]): string[] {
  const files = (x: InstalledRuntime) => (x.env.RUNTIME_FILES ?? '').split('\n').filter((f) => f !== '');
  const inUse = new Set(installed.filter((x) => x.pool === r.pool && x.binaryPath === r.binaryPath).flatMap(files));
  return files(r).filter((f) => inUse.has(f));
}

/** Stable JSON text (keys sorted at every level). */
export function stateText(state: ShootState): string {
  return `${JSON.stringify(sortKeys(state), null, 2)}\n`;
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.keys(value).sort(compareStrings).map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]));
  }
  return value;
}
