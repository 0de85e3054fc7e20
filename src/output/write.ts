import * as fs from 'fs';
import * as path from 'path';
import { InputError } from '../diagnostics';
import { TreeComparer, readIfExists } from './compare';
import { Journal, STATE_DIR, journalPath, recordPath, recordText, sha256 } from './ownership';
import { RenderedFile } from './render';

/** Files in the way: the output directory holds files at paths synth must write that it did not write. */
export class ForeignFilesError extends InputError {}

export interface WriteResult {
  readonly written: number;
  readonly unchanged: number;
  readonly removed: number;
}

/** Where a run stages new contents: inside the output directory (so renames stay atomic), never read by agents. */
export function stagingDir(shard?: string): string {
  return `${STATE_DIR}/staging${shard ? `.${shard}` : ''}`;
}

/**
 * Writes a rendered tree, all or nothing as far as any reader can tell:
 * 1. files are compared with the disk as they are rendered; new and changed contents are staged
 *    under `.shoot-runtimes/staging/` (a run that fails or dies here changed nothing visible);
 * 2. only when every file was rendered (the iterable ended without an error), a journal names
 *    every file the run will touch; staged files are renamed over their targets; files the tool
 *    wrote earlier and no longer produces are removed; the ownership record is written; the
 *    journal is removed. A run killed in this phase leaves the journal: check reports it and the
 *    next synth completes the tree.
 * Unchanged files are not touched. A file the tool did not write is never overwritten or removed.
 */
export function writeTree(outDir: string, files: Iterable<RenderedFile>, shard?: string): WriteResult {
  const comparer = new TreeComparer(outDir, shard);
  const staging = path.join(outDir, stagingDir(shard));
  fs.rmSync(staging, { recursive: true, force: true });
  const writes: string[] = [];
  const foreign: string[] = [];
  let unchanged = 0;
  try {
    for (const file of files) {
      const { state } = comparer.classify(file, file.onDisk?.sha256 ?? sha256(file.content));
      if (state === 'unchanged') unchanged++;
      else if (state === 'foreign') foreign.push(file.path);
      else {
        writes.push(file.path);
        const staged = path.join(staging, file.path);
        fs.mkdirSync(path.dirname(staged), { recursive: true });
        beforeChange();
        fs.writeFileSync(staged, file.content);
      }
    }
    if (foreign.length > 0) {
      throw new ForeignFilesError(foreign.map((rel) => ({
        origin: { file: path.join(outDir, rel), line: 0 },
        message: 'exists but was not written by shoot-runtimes; move it away so that synth can write this path',
      })));
    }
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }

  const removes = comparer.extra();
  const record = recordPath(shard);
  const recordContent = recordText(comparer.rendered);
  const recordChanged = readIfExists(path.join(outDir, record)) !== recordContent;
  if (writes.length === 0 && removes.length === 0 && !recordChanged && !comparer.interrupted) {
    fs.rmSync(staging, { recursive: true, force: true });
    return { written: 0, unchanged, removed: 0 };
  }

  const journal: Journal = { writes, removes };
  writeAtomically(path.join(outDir, journalPath(shard)), `${JSON.stringify(journal, null, 2)}\n`);
  for (const rel of writes) {
    const target = path.join(outDir, rel);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    beforeChange();
    fs.renameSync(path.join(staging, rel), target);
  }
  for (const rel of removes) {
    beforeChange();
    fs.rmSync(path.join(outDir, rel), { force: true });
    removeEmptyParents(outDir, path.dirname(rel));
  }
  writeAtomically(path.join(outDir, record), recordContent);
  beforeChange();
  fs.rmSync(path.join(outDir, journalPath(shard)), { force: true });
  fs.rmSync(staging, { recursive: true, force: true });
  return { written: writes.length, unchanged, removed: removes.length };
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
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temp = path.join(path.dirname(target), `.${path.basename(target)}.shoot-runtimes-tmp`);
  fs.writeFileSync(temp, content);
  fs.renameSync(temp, target);
}

/** Removes `dir` and its parents below `outDir` while they are empty (a shoot that is gone). */
function removeEmptyParents(outDir: string, dir: string): void {
  for (let rel = dir; rel !== '.' && rel !== ''; rel = path.dirname(rel)) {
    try {
      const abs = path.join(outDir, rel);
      if (fs.readdirSync(abs).length > 0) return;
      fs.rmdirSync(abs);
    } catch {
      return;
    }
  }
}
