import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../diagnostics';
import { Journal, STATE_DIR, journalPath, recordPath } from './ownership';
import { TreePlan } from './plan';

export interface WriteResult {
  readonly written: number;
  readonly unchanged: number;
  readonly removed: number;
}

/** The temporary name a file is staged under, next to its target (same filesystem: rename is atomic). */
function stagingPath(target: string): string {
  return path.join(path.dirname(target), `.${path.basename(target)}.shoot-runtimes-tmp`);
}

/**
 * Carries out a plan, all or nothing as far as a reader can tell: a journal names every file the
 * run will touch before the first one changes; new contents are staged next to their targets and
 * renamed over them; files the tool no longer produces are removed; the ownership record is
 * written last and the journal removed. A run killed at any point leaves the journal, which the
 * next synth uses to finish the job (it owns what the journal names) and which check reports.
 * Unchanged files are not touched. A file the tool did not write is never overwritten or removed.
 */
export function applyPlan(outDir: string, plan: TreePlan, shard?: string): WriteResult {
  if (plan.foreign.length > 0) {
    throw new InputError(plan.foreign.map((rel) => ({
      origin: { file: path.join(outDir, rel), line: 0 },
      message: 'exists but was not written by shoot-runtimes; move it away so that synth can write this path',
    })));
  }
  const record = recordPath(shard);
  const writes = [...plan.missing, ...plan.stale].filter((rel) => rel !== record);
  const recordChanged = plan.missing.includes(record) || plan.stale.includes(record);
  const unchanged = plan.unchanged.filter((rel) => rel !== record).length;
  if (writes.length === 0 && plan.extra.length === 0 && !recordChanged && !plan.interrupted) {
    return { written: 0, unchanged, removed: 0 };
  }

  const journal: Journal = { writes, removes: [...plan.extra] };
  fs.mkdirSync(path.join(outDir, STATE_DIR), { recursive: true });
  removeLeftoverStaging(outDir, shard);
  writeAtomically(path.join(outDir, journalPath(shard)), `${JSON.stringify(journal, null, 2)}\n`);

  for (const rel of writes) {
    const target = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    beforeChange();
    fs.writeFileSync(stagingPath(target), plan.files.get(rel)!);
  }
  for (const rel of writes) {
    const target = path.join(outDir, rel);
    beforeChange();
    fs.renameSync(stagingPath(target), target);
  }
  for (const rel of plan.extra) {
    beforeChange();
    fs.rmSync(path.join(outDir, rel), { force: true });
    removeEmptyParents(outDir, path.dirname(rel));
  }
  if (recordChanged || writes.length > 0 || plan.extra.length > 0) {
    writeAtomically(path.join(outDir, record), plan.files.get(record)!);
  }
  beforeChange();
  fs.rmSync(path.join(outDir, journalPath(shard)), { force: true });
  return { written: writes.length, unchanged, removed: plan.extra.length };
}

/**
 * Test seam for the kill tests: with SHOOT_RUNTIMES_KILL_AT=N the process kills itself (SIGKILL)
 * just before its N-th change to the output directory. Unset in normal use.
 */
let changes = 0;
function beforeChange(): void {
  const killAt = process.env.SHOOT_RUNTIMES_KILL_AT;
  if (killAt !== undefined && ++changes === Number(killAt)) process.kill(process.pid, 'SIGKILL');
}

function writeAtomically(target: string, content: string): void {
  beforeChange();
  const staging = stagingPath(target);
  fs.writeFileSync(staging, content);
  fs.renameSync(staging, target);
}

/** Staged files a killed run left behind: named by its journal, never anything else. */
function removeLeftoverStaging(outDir: string, shard?: string): void {
  const journalFile = path.join(outDir, journalPath(shard));
  let journal: Journal | undefined;
  try {
    journal = JSON.parse(fs.readFileSync(journalFile, 'utf8')) as Journal;
  } catch {
    journal = undefined;
  }
  for (const rel of [...(journal?.writes ?? []), recordPath(shard), journalPath(shard)]) {
    fs.rmSync(stagingPath(path.join(outDir, rel)), { force: true });
  }
}

/** Removes `dir` and its parents below `outDir` while they are empty (a shoot that is gone). */
function removeEmptyParents(outDir: string, dir: string): void {
  for (let rel = dir; rel !== '.' && rel !== ''; rel = path.dirname(rel)) {
    const abs = path.join(outDir, rel);
    try {
      if (fs.readdirSync(abs).length > 0) return;
      fs.rmdirSync(abs);
    } catch {
      return;
    }
  }
}
