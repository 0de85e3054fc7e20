import { Records, isShared, sha256 } from './ownership';
import { RenderedFile } from './render';
import { Obstacle, OutputTree, isOutputPath } from './tree';

/**
 * Where a rendered file stands against the disk: `foreign` is present but written by no record
 * of the tool, `blocked` is behind (or is) a symbolic link or a file where a directory must be.
 */
export type FileState = 'missing' | 'stale' | 'unchanged' | 'foreign' | 'blocked';

/** What a run would remove, and what it must not remove although it owns it. */
export interface Removals {
  readonly remove: readonly string[];
  /** Owned files it no longer produces but cannot remove: changed since written, or behind a link. */
  readonly conflicts: readonly Obstacle[];
}

/**
 * Compares rendered files, one at a time, with what is on disk, and remembers only paths and
 * hashes: a fleet's output never has to sit in memory at once.
 */
export class TreeComparer {
  /** Every rendered path -> sha256 of its content. */
  public readonly rendered = new Map<string, string>();
  public readonly interrupted: boolean;
  /**
   * Directories found missing: every file in them is new. (A run writes nothing outside its
   * staging area before it commits, so they stay missing until then.)
   */
  public readonly absentDirectories = new Set<string>();

  /**
   * @param kept paths whose last output stays as it is (shoots `synth --keep-going` could not
   * render): never removed, and recorded with their old hashes.
   */
  constructor(public readonly tree: OutputTree, public readonly records: Records, private readonly kept: (rel: string) => boolean = () => false) {
    this.interrupted = records.journal !== undefined;
  }

  /** Where `file` stands against the disk. `current` is the file's bytes on disk, if any. */
  public classify(file: RenderedFile, hash: string): { state: FileState; current?: string; obstacle?: Obstacle } {
    // Defence in depth: inputs are validated, but no rendered path may leave the output layout.
    if (!isOutputPath(file.path)) throw new Error(`refusing to write a path outside the output layout: ${JSON.stringify(file.path)}`);
    if (this.rendered.has(file.path)) throw new Error(`two generated files share the path ${file.path}`);
    this.rendered.set(file.path, hash);
    // Read back from this very path in this run, without following a link (Fingerprints.reuse).
    if (file.onDisk) return { state: 'unchanged' };
    const dir = file.path.slice(0, file.path.lastIndexOf('/'));
    if (this.absentDirectories.has(dir)) return { state: 'missing' };
    const obstacle = this.tree.obstacle(file.path);
    if (obstacle !== undefined) return { state: 'blocked', obstacle };
    // obstacle() proves every directory on the way that exists: one it did not is missing, and so is the file.
    if (!this.tree.isProvenDirectory(dir)) {
      this.absentDirectories.add(dir);
      return { state: 'missing' };
    }
    const current = this.tree.read(file.path);
    if (current === undefined) return { state: 'missing' };
    if (current === file.content) return { state: 'unchanged', current };
    return { state: this.records.written.has(file.path) ? 'stale' : 'foreign', current };
  }

  /**
   * Files this run (its shard) wrote earlier, or an interrupted run planned, that it no longer
   * produces: removed only when their bytes are still what the tool wrote (the recorded hash),
   * and never through a link; a shared file only when no other run's record names it.
   */
  public removals(): Removals {
    const { owned, journal } = this.records;
    const candidates = new Set([...owned.keys(), ...Object.keys(journal?.writes ?? {}), ...(journal?.removes ?? [])]);
    const remove: string[] = [];
    const conflicts: Obstacle[] = [];
    for (const rel of [...candidates].sort()) {
      // A shared file another run's record still names stays (isShared).
      if (this.rendered.has(rel) || this.kept(rel) || (isShared(rel) && this.records.others.has(rel))) continue;
      const obstacle = this.tree.obstacle(rel);
      if (obstacle !== undefined) {
        conflicts.push(obstacle);
        continue;
      }
      const current = this.tree.read(rel);
      if (current === undefined) continue;
      const hash = sha256(current);
      if (hash === owned.get(rel) || hash === journal?.writes[rel]) remove.push(rel);
      else conflicts.push({ path: rel, problem: 'changed since shoot-runtimes wrote it, and synth would remove it: restore it (its recorded bytes) or move it away' });
    }
    return { remove, conflicts };
  }

  /** The next ownership record: every rendered file, and the kept files with their recorded hashes. */
  public nextRecord(): Map<string, string> {
    const next = new Map(this.rendered);
    for (const [rel, hash] of this.records.owned) if (this.kept(rel) && !next.has(rel)) next.set(rel, hash);
    return next;
  }
}
