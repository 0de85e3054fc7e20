import { TreeComparer } from './compare';
import { Records, readRecords, recordPath, recordText, sha256 } from './ownership';
import { RenderedFile } from './render';
import { OutputTree } from './tree';

export interface CheckOptions {
  /** The shard's name. @default - unsharded */
  readonly shard?: string;
  /** The records as read before rendering. @default - read now */
  readonly records?: Records;
  /** Paths whose last output is kept (`--keep-going`): not compared. @default - none */
  readonly kept?: (rel: string) => boolean;
}

/**
 * check's report: one line per missing, stale (with a short diff), extra or conflicting file
 * (written by someone else, changed since synth wrote it and due for removal, or reached through
 * a symbolic link), and whether a synth was interrupted. Empty when the tree is exactly what
 * synth would write. Reads only.
 */
export function checkTree(tree: OutputTree, files: Iterable<RenderedFile>, options: CheckOptions = {}): string[] {
  const comparer = new TreeComparer(tree, options.records ?? readRecords(tree, options.shard), options.kept);
  const missing: string[] = [];
  const stale: string[] = [];
  const conflicts: string[] = [];
  for (const file of files) {
    const { state, current, obstacle } = comparer.classify(file, sha256(file.content));
    if (state === 'missing') missing.push(`missing: ${file.path}`);
    else if (state === 'stale') stale.push(`stale: ${file.path}`, ...shortDiff(current ?? '', file.content).map((l) => `    ${l}`));
    else if (state === 'foreign') conflicts.push(`conflict: ${file.path} (not written by shoot-runtimes, but synth would write it)`);
    else if (state === 'blocked') conflicts.push(`conflict: ${obstacle!.path} (${obstacle!.problem})`);
  }
  const { remove, conflicts: removalConflicts } = comparer.removals();
  conflicts.push(...removalConflicts.map((c) => `conflict: ${c.path} (${c.problem})`));
  const lines = comparer.interrupted ? ['interrupted: a synth was stopped midway; run synth to complete it'] : [];
  lines.push(...missing, ...stale, ...remove.map((rel) => `extra: ${rel} (no longer produced)`), ...[...new Set(conflicts)]);
  if (lines.length === 0 && tree.read(recordPath(options.shard)) !== recordText(comparer.nextRecord())) {
    lines.push(`stale: ${recordPath(options.shard)} (the ownership record)`);
  }
  return lines;
}

/** The first differing lines of two texts, as `-` (on disk) and `+` (would be written), with one line of context. */
export function shortDiff(actual: string, expected: string, maxLines = 6): string[] {
  const a = actual.split('\n');
  const e = expected.split('\n');
  let start = 0;
  while (start < a.length && start < e.length && a[start] === e[start]) start++;
  let endA = a.length - 1;
  let endE = e.length - 1;
  while (endA >= start && endE >= start && a[endA] === e[endE]) { endA--; endE--; }
  const out: string[] = [];
  if (start > 0) out.push(`  ${a[start - 1]}`);
  const removed = a.slice(start, endA + 1);
  const added = e.slice(start, endE + 1);
  for (const l of removed.slice(0, maxLines)) out.push(`- ${l}`);
  if (removed.length > maxLines) out.push(`- ... (${removed.length - maxLines} more lines)`);
  for (const l of added.slice(0, maxLines)) out.push(`+ ${l}`);
  if (added.length > maxLines) out.push(`+ ... (${added.length - maxLines} more lines)`);
  return out;
}
