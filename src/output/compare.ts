import * as fs from 'fs';
import * as path from 'path';
import { isShared, namedByRecords, ownedPaths, recordPath } from './ownership';
import { RenderedFile } from './render';

export type FileState = 'missing' | 'stale' | 'unchanged' | 'foreign';

/**
 * Compares rendered files, one at a time, with what is on disk under `outDir`, and remembers
 * only paths and hashes: a fleet's output never has to sit in memory at once.
 */
export class TreeComparer {
  /** Every rendered path -> sha256 of its content (the next ownership record). */
  public readonly rendered = new Map<string, string>();
  /** What this run (its shard) owns: it removes those it no longer produces. */
  private readonly owned: Set<string>;
  /** What any run of the tool wrote: it may overwrite those, never anything else. */
  private readonly written: Set<string>;
  /** What the other runs' records name: shared files they still use stay. */
  private readonly others: Set<string>;
  public readonly interrupted: boolean;

  constructor(public readonly outDir: string, public readonly shard?: string) {
    ({ owned: this.owned, interrupted: this.interrupted } = ownedPaths(outDir, shard));
    ({ all: this.written, others: this.others } = namedByRecords(outDir, shard));
  }

  /** Where `file` stands against the disk. `current` is the file's bytes on disk, if any. */
  public classify(file: RenderedFile, sha256: string): { state: FileState; current?: string } {
    checkInside(file.path);
    if (this.rendered.has(file.path)) throw new Error(`two generated files share the path ${file.path}`);
    this.rendered.set(file.path, sha256);
    if (file.onDisk) return { state: 'unchanged', current: file.content };
    const current = readIfExists(path.join(this.outDir, file.path));
    if (current === undefined) return { state: 'missing' };
    if (current === file.content) return { state: 'unchanged', current };
    return { state: this.written.has(file.path) ? 'stale' : 'foreign', current };
  }

  /**
   * Files the tool wrote earlier (or an interrupted run planned) and no longer produces, except
   * shared files that another run's record still names (isShared).
   */
  public extra(): string[] {
    return [...this.owned]
      .filter((rel) => !this.rendered.has(rel) && rel !== recordPath(this.shard) && fs.existsSync(path.join(this.outDir, rel)))
      .filter((rel) => !(isShared(rel) && this.others.has(rel)))
      .sort();
  }
}

/** Defence in depth: inputs are validated, but no rendered path may leave the output directory. */
function checkInside(rel: string): void {
  if (path.posix.isAbsolute(rel) || path.posix.normalize(rel) !== rel || rel.startsWith('..')) {
    throw new Error(`refusing to write outside the output directory: ${rel}`);
  }
}

export function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
