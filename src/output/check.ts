import * as path from 'path';
import { TreePlan, readIfExists } from './plan';

/** Lines of check's report; empty when the tree is exactly what synth would write. */
export function checkReport(outDir: string, plan: TreePlan): string[] {
  const lines: string[] = [];
  if (plan.interrupted) lines.push('interrupted: a synth was stopped midway; run synth to complete it');
  for (const rel of plan.missing) lines.push(`missing: ${rel}`);
  for (const rel of plan.stale) {
    lines.push(`stale: ${rel}`);
    lines.push(...shortDiff(readIfExists(path.join(outDir, rel)) ?? '', plan.files.get(rel)!).map((l) => `    ${l}`));
  }
  for (const rel of plan.extra) lines.push(`extra: ${rel} (no longer produced)`);
  for (const rel of plan.foreign) lines.push(`conflict: ${rel} (not written by shoot-runtimes, but synth would write it)`);
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
