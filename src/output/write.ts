import * as path from 'path';
import { InputError } from '../diagnostics';
import { TreeComparer } from './compare';
import { Records, journalPath, journalText, readRecords, recordPath, recordText, sha256 } from './ownership';
import { MassRemovalError, exceedsGuard, shootsIn } from './removal';
import { RenderedFile } from './render';
import { FileSystemError, OutputTree, STATE_DIR, fileSystemError, isErrnoError } from './tree';

/** Files in the way: paths synth must write or remove that it did not write, changed, or reaches through a link. */
export class ForeignFilesError extends InputError {}

export interface WriteResult {
  readonly written: number;
  readonly unchanged: number;
  readonly removed: number;
  /** The shoots whose directories this run removed. */
  readonly removedShoots: readonly string[];
}

export interface WriteOptions {
  /** The shard's name: its own record, journal and staging directory. @default - unsharded */
  readonly shard?: string;
  /** The records as read before rendering. @default - read now */
  readonly records?: Records;
  /** Paths whose last output stays exactly as it is (`synth --keep-going`). @default - none */
  readonly kept?: (rel: string) => boolean;
  /** Let a run remove every shoot, or more than 10% of them. @default false */
  readonly allowRemoval?: boolean;
}

/** Where a run stages new contents: inside the output directory (so renames stay atomic), never read by agents. */
export function stagingDir(shard?: string): string {
  return `${STATE_DIR}/staging${shard ? `.${shard}` : ''}`;
}

/**
 * Writes a rendered tree, all or nothing as far as any reader can tell:
 * 1. files are compared with the disk as they are rendered; new and changed contents are staged
 *    under `.shoot-runtimes/staging/` (a run that fails or dies here changed nothing visible);
 * 2. only when every file was rendered (the iterable ended without an error), nothing is in the
 *    way and the removal guard agrees, a journal names every file the run will write (with its
 *    hash) and remove; staged files are renamed over their targets; files the tool wrote earlier,
 *    no longer produces and finds unchanged are removed; the ownership record is written; the
 *    journal is removed. A run killed in this phase leaves the journal: check reports it and the
 *    next synth completes the tree.
 * Unchanged files are not touched. A file the tool did not write, or changed since, is never
 * overwritten or removed; nothing is written or removed through a symbolic link.
 * The caller holds the output directory's lock (src/output/lock.ts).
 */
export function writeTree(tree: OutputTree, files: Iterable<RenderedFile>, options: WriteOptions = {}): WriteResult {
  const { shard } = options;
  const records = options.records ?? readRecords(tree, shard);
  const comparer = new TreeComparer(tree, records, options.kept);
  const staging = stagingDir(shard);
  const writes = new Map<string, string>();
  const inTheWay: { rel: string; message: string }[] = [];
  let unchanged = 0;
  try {
    removeStaging(tree, staging);
    for (const file of files) {
      const hash = file.onDisk?.sha256 ?? sha256(file.content);
      const { state, obstacle } = comparer.classify(file, hash);
      if (state === 'unchanged') unchanged++;
      else if (state === 'foreign') inTheWay.push({ rel: file.path, message: 'exists but was not written by shoot-runtimes; move it away so that synth can write this path' });
      else if (state === 'blocked') inTheWay.push({ rel: obstacle!.path, message: `${obstacle!.problem}; synth would write ${file.path}` });
      else {
        writes.set(file.path, hash);
        beforeChange();
        tree.writeFile(`${staging}/${file.path}`, file.content);
      }
    }
    const { remove, conflicts } = comparer.removals();
    inTheWay.push(...conflicts.map((c) => ({ rel: c.path, message: c.problem })));
    if (inTheWay.length > 0) {
      throw new ForeignFilesError(inTheWay.map(({ rel, message }) => ({ origin: { file: path.join(tree.root, rel), line: 0 }, message })));
    }
    const removedShoots = shootsIn(remove);
    const held = shootsIn(records.owned.keys()).length;
    if (!options.allowRemoval && exceedsGuard(removedShoots.length, held)) throw new MassRemovalError(removedShoots, held);

    const record = recordPath(shard);
    const recordContent = recordText(comparer.nextRecord());
    const recordChanged = tree.read(record) !== recordContent;
    if (writes.size === 0 && remove.length === 0 && !recordChanged && !comparer.interrupted) {
      removeStaging(tree, staging);
      return { written: 0, unchanged, removed: 0, removedShoots: [] };
    }
    return commit(tree, { staging, writes, newDirectories: comparer.absentDirectories, remove, record, recordContent, shard, unchanged, removedShoots });
  } catch (error) {
    if (!(error instanceof FileSystemError && error.partial)) tryRemoveStaging(tree, staging);
    if (isErrnoError(error)) throw fileSystemError(error);
    throw error;
  }
}

/** The rename phase, under the journal: a failure here leaves the journal for the next run. */
function commit(tree: OutputTree, plan: {
  staging: string; writes: ReadonlyMap<string, string>; newDirectories: ReadonlySet<string>; remove: readonly string[];
  record: string; recordContent: string; shard?: string; unchanged: number; removedShoots: readonly string[];
}): WriteResult {
  beforeChange();
  tree.writeAtomically(journalPath(plan.shard), journalText(plan.writes, plan.remove));
  try {
    const moved = new Set<string>();
    const wholeDirectories = movableDirectories(plan.writes.keys(), plan.newDirectories);
    for (const rel of plan.writes.keys()) {
      const dir = path.posix.dirname(rel);
      if (moved.has(dir)) continue;
      beforeChange();
      if (wholeDirectories.has(dir)) {
        // A directory that did not exist holds only new files, all staged: one rename moves them (a new shoot).
        tree.renameDirectory(`${plan.staging}/${dir}`, dir);
        moved.add(dir);
      } else {
        tree.rename(`${plan.staging}/${rel}`, rel);
      }
    }
    for (const rel of plan.remove) {
      beforeChange();
      tree.remove(rel);
    }
    beforeChange();
    tree.writeAtomically(plan.record, plan.recordContent);
    beforeChange();
    tree.remove(journalPath(plan.shard));
  } catch (error) {
    // Part of the tree is written: the journal stays, so check reports it and the next synth completes it.
    if (isErrnoError(error)) throw fileSystemError(error, true);
    if (error instanceof FileSystemError) throw new FileSystemError(error.diagnostics, true);
    throw error;
  }
  removeStaging(tree, plan.staging);
  return { written: plan.writes.size, unchanged: plan.unchanged, removed: plan.remove.length, removedShoots: plan.removedShoots };
}

/**
 * The directories that leave staging with one rename: missing before the run (so every file in
 * them is new and staged) and holding no directory the run writes into (that one moves on its own).
 */
function movableDirectories(written: Iterable<string>, missing: ReadonlySet<string>): Set<string> {
  const dirs = new Set([...written].map((rel) => path.posix.dirname(rel)));
  const parents = new Set<string>();
  for (const dir of dirs) for (let p = path.posix.dirname(dir); p !== '.'; p = path.posix.dirname(p)) parents.add(p);
  return new Set([...dirs].filter((dir) => missing.has(dir) && !parents.has(dir)));
}

function removeStaging(tree: OutputTree, staging: string): void {
  tree.removeDirectory(staging);
}

function tryRemoveStaging(tree: OutputTree, staging: string): void {
  try {
    removeStaging(tree, staging);
  } catch {
    // The error that brought us here is the one to report.
  }
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
