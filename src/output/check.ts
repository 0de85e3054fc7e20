import * as path from 'path';
import { TreeComparer, readIfExists } from './compare';
import { recordPath, recordText, sha256 } from './ownership';
import { RenderedFile } from './render';

/**
 * check's report: one line per missing, stale (with a short diff), extra or conflicting file,
 * and whether a synth was interrupted. Empty when the tree is exactly what synth would write.
 * Reads only.
 */
export function checkTree(outDir: string, files: Iterable<RenderedFile>, shard?: string): string[] {
  const comparer = new TreeComparer(outDir, shard);
  const missing: string[] = [];
  const stale: string[] = [];
  const conflicts: string[] = [];
  for (const file of files) {
    const { state, current } = comparer.classify(file, sha256(file.content));
    if (state === 'missing') missing.push(`missing: ${file.path}`);
    else if (state === 'stale') stale.push(`stale: ${file.path}`, ...shortDiff(current ?? '', file.content).map((l) => `    ${l}`));
    else if (state === 'foreign') conflicts.push(`conflict: ${file.path} (not written by shoot-runtimes, but synth would write it)`);
  }
  const lines = comparer.interrupted ? ['interrupted: a synth was stopped midway; run synth to complete it'] : [];
  lines.push(...missing, ...stale, ...comparer.extra().map((rel) => `extra: ${rel} (no longer produced)`), ...conflicts);
  if (lines.length === 0 && readIfExists(path.join(outDir, recordPath(shard))) !== recordText(comparer.rendered)) {
    lines.push(`stale: ${recordPath(shard)} (the ownership record)`);
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
