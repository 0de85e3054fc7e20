import * as fs from 'fs';
import * as path from 'path';
import { compareStrings } from '../model/container-runtime';
import { ownedPaths, recordPath, recordText } from './ownership';
import { RenderedFile } from './render';

/** What synth will do to the output directory, and what check reports. */
export interface TreePlan {
  /** Files to create: not on disk yet. */
  readonly missing: readonly string[];
  /** Files on disk whose bytes differ from the rendering. */
  readonly stale: readonly string[];
  /** Files the tool wrote earlier and no longer produces. */
  readonly extra: readonly string[];
  readonly unchanged: readonly string[];
  /** The full new content of the tree, the ownership record included. */
  readonly files: ReadonlyMap<string, string>;
  /** A previous synth was killed midway (its journal is still there). */
  readonly interrupted: boolean;
  /** Paths the rendering needs that hold a file the tool did not write. */
  readonly foreign: readonly string[];
}

/** Compares the rendered tree with what is on disk under `outDir`. Reads only. */
export function planTree(outDir: string, rendered: readonly RenderedFile[], shard?: string): TreePlan {
  for (const f of rendered) {
    // Defence in depth: inputs are validated, but no rendered path may leave the output directory.
    if (path.posix.isAbsolute(f.path) || path.posix.normalize(f.path) !== f.path || f.path.startsWith('..')) {
      throw new Error(`refusing to write outside the output directory: ${f.path}`);
    }
  }
  const files = new Map(rendered.map((f) => [f.path, f.content]));
  files.set(recordPath(shard), recordText(files));
  const { owned, interrupted } = ownedPaths(outDir, shard);
  const missing: string[] = [];
  const stale: string[] = [];
  const unchanged: string[] = [];
  const foreign: string[] = [];
  for (const [rel, content] of files) {
    const current = readIfExists(path.join(outDir, rel));
    if (current === undefined) missing.push(rel);
    else if (current === content) unchanged.push(rel);
    else if (owned.has(rel) || rel === recordPath(shard)) stale.push(rel);
    else foreign.push(rel);
  }
  const extra = [...owned].filter((rel) => !files.has(rel) && fs.existsSync(path.join(outDir, rel)));
  const sort = (list: string[]) => list.sort(compareStrings);
  return { missing: sort(missing), stale: sort(stale), extra: sort(extra), unchanged: sort(unchanged), files, interrupted, foreign: sort(foreign) };
}

export function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
