import { shootKey } from '../model/container-runtime';

/**
 * The guard against mass removal: a run that would take more shoots out of the output than a
 * mistake in the inputs plausibly explains (an export the reader skipped, a wrong --input) stops
 * before writing. Removing a runtime from a pool that still exists is not a removal of a shoot.
 */

/** The share of the shoots an output holds that one run may remove without --allow-removal. */
export const MAX_REMOVED_SHARE = 0.1;

const KUSTOMIZATION = /^shoots\/([^/]+)\/([^/]+)\/kustomization\.yaml$/;

/** The shoots (`<namespace>/<name>`) whose directories the given output paths hold, sorted. */
export function shootsIn(paths: Iterable<string>): string[] {
  const shoots: string[] = [];
  for (const p of paths) {
    const match = KUSTOMIZATION.exec(p);
    if (match) shoots.push(shootKey({ projectNamespace: match[1], name: match[2] }));
  }
  return shoots.sort();
}

/** Whether removing `removed` of `held` shoots needs --allow-removal: all of them, or more than 10%. */
export function exceedsGuard(removed: number, held: number): boolean {
  return removed > 0 && (removed >= held || removed > held * MAX_REMOVED_SHARE);
}

/** The run would remove too many shoots: nothing was written. */
export class MassRemovalError extends Error {
  constructor(public readonly removed: readonly string[], public readonly held: number) {
    super(`this run would remove ${removed.length} of the ${held} shoots the output holds`);
    this.name = 'MassRemovalError';
  }
}
