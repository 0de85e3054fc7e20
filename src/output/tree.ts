import * as fs from 'fs';
import * as path from 'path';
import { Diagnostic, InputError } from '../diagnostics';

/**
 * The output directory as a boundary. Every path the tool reads, writes, renames or removes in it
 * is relative, normalized, fits the output layout (OUTPUT_LAYOUT), and is reached without
 * following a symbolic link: a symlinked directory (or file) where the tool would write or remove
 * is a conflict naming it, never something to go through.
 */

/** The tool's own state directory inside the output directory. */
export const STATE_DIR = '.shoot-runtimes';

/** One path segment the tool may create: no `.`/`..`, no separators, no control characters. */
const SEGMENT = '(?!\\.\\.?/)[A-Za-z0-9._-]+';

/**
 * Every path the tool writes and records, relative to the output directory. Ownership records,
 * journals and state name only such paths; a record naming anything else is refused. A new kind
 * of output file (e.g. a directory shared by shoots) is added here.
 */
export const OUTPUT_LAYOUT: readonly RegExp[] = [
  new RegExp(`^shoots/${SEGMENT}/${SEGMENT}/${SEGMENT}\\.yaml$`),
  new RegExp(`^(flux|argocd)/${SEGMENT}/${SEGMENT}\\.yaml$`),
  // Flux ArtifactGenerators, one per project namespace or shard (`_` is in no namespace's name).
  new RegExp(`^flux/_artifactgenerators/${SEGMENT}/${SEGMENT}\\.yaml$`),
  // An installer version, shared by every shoot that runs it (isShared).
  new RegExp(`^installer/[0-9a-f]{10}/${SEGMENT}\\.yaml$`),
  /^argocd\/applicationset\.yaml$/,
  new RegExp(`^garden/${SEGMENT}\\.yaml$`),
  new RegExp(`^\\.shoot-runtimes/installed/${SEGMENT}/${SEGMENT}\\.json$`),
];

/**
 * The shoot (`<namespace>/<name>`) an output path belongs to: its directory, its state file, its
 * Flux Kustomization or Argo CD Application. `undefined` for fleet-wide files.
 */
export function shootOfPath(rel: string): string | undefined {
  const match = /^shoots\/([^/]+)\/([^/]+)\/[^/]+$/.exec(rel)
    ?? /^\.shoot-runtimes\/installed\/([^/]+)\/([^/]+)\.json$/.exec(rel)
    ?? /^(?:flux|argocd)\/([^/]+)\/([^/]+)\.yaml$/.exec(rel);
  return match ? `${match[1]}/${match[2]}` : undefined;
}

/** Whether `rel` is a path of the output layout (and so may be written, recorded and removed). */
export function isOutputPath(rel: string): boolean {
  // The layout's segments are never empty, `.` or `..`: a path it matches is normalized and stays inside.
  return OUTPUT_LAYOUT.some((re) => re.test(rel));
}

/**
 * A condition of the file system, not of the input: `--out` is a file, a directory is
 * read-only or full, another run holds the lock. One line per problem, never a stack trace.
 */
export class FileSystemError extends InputError {
  constructor(diagnostics: readonly Diagnostic[], public readonly partial = false) {
    super(diagnostics);
    this.name = 'FileSystemError';
  }
}

/** The sentence for a Node file-system error code. */
export function describeErrno(code: string | undefined): string {
  switch (code) {
    case 'EACCES': case 'EPERM': return 'permission denied';
    case 'EROFS': return 'read-only file system';
    case 'ENOSPC': return 'no space left on the device';
    case 'EDQUOT': return 'disk quota exceeded';
    case 'ENOTDIR': return 'a part of this path is a file, not a directory';
    case 'EISDIR': return 'is a directory, not a file';
    case 'EEXIST': return 'already exists';
    case 'ENOENT': return 'does not exist';
    case 'ELOOP': return 'too many levels of symbolic links';
    case 'EMFILE': case 'ENFILE': return 'too many open files';
    case 'ENAMETOOLONG': return 'the path is too long';
    case 'EIO': return 'input/output error';
    default: return `file-system error ${code ?? '(unknown)'}`;
  }
}

export function isErrnoError(error: unknown): error is NodeJS.ErrnoException {
  // Not `instanceof Error`: an error of another realm (a vm context, jest) is one too.
  return typeof error === 'object' && error !== null && typeof (error as NodeJS.ErrnoException).code === 'string'
    && typeof (error as NodeJS.ErrnoException).syscall === 'string';
}

/** A file-system error as the CLI shows it: `path: problem`. */
export function fileSystemError(error: NodeJS.ErrnoException, partial = false): FileSystemError {
  return new FileSystemError([{ origin: { file: error.path ?? '?', line: 0 }, message: describeErrno(error.code) }], partial);
}

/** What stands in the way of a path: a symlink, or a file where a directory must be. */
export interface Obstacle {
  /** The path (relative to the output directory) of the offending entry. */
  readonly path: string;
  readonly problem: string;
}

export class OutputTree {
  /**
   * Opens the output directory: it must be a directory (created when `create` is set and it is
   * missing), and its state directory, if present, a real directory.
   */
  public static open(outDir: string, create: boolean): OutputTree {
    const problem = (file: string, message: string) => new FileSystemError([{ origin: { file, line: 0 }, message }]);
    const kind = lstatOrUndefined(outDir);
    if (kind === undefined) {
      if (create) {
        try {
          fs.mkdirSync(outDir, { recursive: true });
        } catch (error) {
          if (isErrnoError(error)) throw problem(outDir, `cannot create the output directory: ${describeErrno(error.code)}`);
          throw error;
        }
      }
    } else if (!fs.statSync(outDir, { throwIfNoEntry: false })?.isDirectory()) {
      throw problem(outDir, 'the output directory (--out) is not a directory');
    }
    const state = lstatOrUndefined(path.join(outDir, STATE_DIR));
    if (state !== undefined && !state.isDirectory()) {
      throw problem(path.join(outDir, STATE_DIR), `must be the tool's state directory, but is ${describeKind(state)}`);
    }
    return new OutputTree(outDir);
  }

  /**
   * Directories proven real (not links) in this run. The run holds the lock, so only this run
   * changes the tree; a directory it removes is forgotten.
   */
  private readonly realDirectories = new Set<string>();

  /** The root as path.join writes it, ending in a separator. */
  private readonly normalizedRoot: string;

  constructor(public readonly root: string) {
    this.normalizedRoot = `${path.join(root, '.').replace(/\/$/, '')}/`;
  }

  /** The absolute path of `rel`, after checking that it is relative and normalized. */
  public abs(rel: string): string {
    if (!NORMALIZED_RELATIVE.test(rel)) throw new Error(`refusing a path outside the output directory: ${JSON.stringify(rel)}`);
    return `${this.normalizedRoot}${rel}`;
  }

  /**
   * The first entry on the way to `rel` that the tool must not go through: a symbolic link (to a
   * directory or a file), or a non-directory where `rel` needs a directory. `undefined` when the
   * path is free (it may not exist yet).
   */
  public obstacle(rel: string): Obstacle | undefined {
    this.abs(rel);
    const parts = rel.split('/');
    // A file in a directory already proven real: only the file itself is left to look at.
    const parentProven = parts.length > 1 && this.realDirectories.has(rel.slice(0, rel.lastIndexOf('/')));
    for (let i = parentProven ? parts.length : 1; i <= parts.length; i++) {
      const sub = parts.slice(0, i).join('/');
      if (i < parts.length && this.realDirectories.has(sub)) continue;
      const stat = lstatOrUndefined(path.join(this.root, sub));
      if (stat === undefined) return undefined;
      if (stat.isSymbolicLink()) {
        const raw = readlinkOrUndefined(path.join(this.root, sub));
        // The target is text anyone could choose: no control characters reach the log.
        const target = raw?.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
        const leaves = raw !== undefined && !this.insideRoot(path.resolve(path.dirname(path.join(this.root, sub)), raw));
        return { path: sub, problem: `is a symbolic link${target !== undefined ? ` to ${target}` : ''}${leaves ? ', outside the output directory' : ''}; shoot-runtimes does not follow links in its output` };
      }
      if (i < parts.length && !stat.isDirectory()) return { path: sub, problem: `is ${describeKind(stat)} where shoot-runtimes needs a directory` };
      if (i < parts.length) this.realDirectories.add(sub);
      if (i === parts.length && !stat.isFile()) return { path: sub, problem: `is ${describeKind(stat)}, not a file` };
    }
    return undefined;
  }

  /** Whether `dir` was proven a real directory (no link on the way) in this run. */
  public isProvenDirectory(dir: string): boolean {
    return this.realDirectories.has(dir);
  }

  /** The text of `rel` if it is a regular file reached without links; `undefined` if absent. */
  public read(rel: string): string | undefined {
    const slash = rel.lastIndexOf('/');
    // The directories on the way (proven once per run); the file itself is opened without following a link.
    if (slash > 0 && !this.realDirectories.has(rel.slice(0, slash)) && this.obstacle(rel) !== undefined) return undefined;
    let fd: number;
    try {
      fd = fs.openSync(this.abs(rel), READ_NO_FOLLOW);
    } catch (error) {
      // ELOOP: a link; ENOENT, ENOTDIR: nothing there.
      if (isErrnoError(error) && ['ENOENT', 'ENOTDIR', 'ELOOP'].includes(error.code!)) return undefined;
      throw error;
    }
    try {
      const stat = fs.fstatSync(fd);
      // Not a regular file (a directory, a FIFO opened without blocking): not the tool's file.
      if (!stat.isFile()) return undefined;
      // One read for the whole file (a proof reads a fleet's files): a short read of a regular file is its end.
      if (readBuffer.length <= stat.size) readBuffer = Buffer.allocUnsafe(stat.size + 65536);
      const length = fs.readSync(fd, readBuffer, 0, stat.size + 1, 0);
      return length <= stat.size ? readBuffer.toString('utf8', 0, length) : fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  }

  /** Creates the directories of `rel`, refusing to go through a link or a file. */
  public makeParents(rel: string): void {
    const dir = path.posix.dirname(rel);
    if (dir === '.' || this.realDirectories.has(dir)) return;
    this.refuseObstacle(dir, true);
    fs.mkdirSync(this.abs(dir), { recursive: true });
    // Proven or made real: the next file in it needs no lstat of its parents (removals forget them).
    for (let d = dir; d !== '.'; d = path.posix.dirname(d)) this.realDirectories.add(d);
  }

  /**
   * Creates the new file `rel` (a staged file no one reads before the run renames it). Fails if
   * anything is at `rel` already: O_CREAT|O_EXCL never follows a link there.
   */
  public writeFile(rel: string, content: string): void {
    this.makeParents(rel);
    fs.writeFileSync(this.abs(rel), content, { flag: 'wx' });
  }

  /** Writes `rel` through a temp file and a rename. */
  public writeAtomically(rel: string, content: string): void {
    this.makeParents(rel);
    this.refuseObstacle(rel, false);
    const temp = this.abs(path.posix.join(path.posix.dirname(rel), `.${path.posix.basename(rel)}.shoot-runtimes-tmp`));
    fs.writeFileSync(temp, content);
    fs.renameSync(temp, this.abs(rel));
  }

  /** Renames `from` over `to` (both inside the tree, neither reached through a link). */
  public rename(from: string, to: string): void {
    this.refuseObstacle(from, false);
    this.makeParents(to);
    this.refuseObstacle(to, false);
    fs.renameSync(this.abs(from), this.abs(to));
  }

  /**
   * Renames the directory `from` to `to`, which must not exist (rename(2) would replace only an
   * empty one). Neither is reached through a link; `to` is a real directory afterwards.
   */
  public renameDirectory(from: string, to: string): void {
    this.refuseObstacle(from, true);
    this.makeParents(to);
    if (lstatOrUndefined(this.abs(to)) !== undefined) throw new FileSystemError([{ origin: { file: this.abs(to), line: 0 }, message: 'appeared while synth was writing the tree' }]);
    fs.renameSync(this.abs(from), this.abs(to));
    this.realDirectories.add(to);
  }

  /** Removes the file `rel` (nothing if absent), then its parents below the root while they are empty. */
  public remove(rel: string): void {
    this.refuseObstacle(rel, false);
    fs.rmSync(this.abs(rel), { force: true });
    for (let dir = path.posix.dirname(rel); dir !== '.'; dir = path.posix.dirname(dir)) {
      try {
        if (fs.readdirSync(this.abs(dir)).length > 0) return;
        fs.rmdirSync(this.abs(dir));
        this.realDirectories.delete(dir);
      } catch {
        return;
      }
    }
  }

  /** Removes the directory `rel` and everything in it (a link there is removed, not followed). */
  public removeDirectory(rel: string): void {
    // rmSync removes a link itself, never what it points to; open() proved the state directory real.
    fs.rmSync(this.abs(rel), { recursive: true, force: true });
    for (const dir of this.realDirectories) if (dir === rel || dir.startsWith(`${rel}/`)) this.realDirectories.delete(dir);
  }

  /** Whether an absolute path lies inside the output directory (after resolving its links). */
  public insideRoot(absolute: string): boolean {
    const root = realpathOrSelf(this.root);
    const resolved = realpathOrSelf(absolute);
    return resolved === root || resolved.startsWith(`${root}${path.sep}`);
  }

  private refuseObstacle(rel: string, isDirectory: boolean): void {
    const found = this.obstacle(rel);
    // A directory path that ends at an existing directory is fine; obstacle() wants a file there.
    if (found === undefined || (isDirectory && found.path === rel && fs.lstatSync(this.abs(rel)).isDirectory())) return;
    throw new FileSystemError([{ origin: { file: this.abs(found.path), line: 0 }, message: found.problem }]);
  }
}

/** A relative path without empty, `.` or `..` segments: what path.posix.normalize leaves as it is. */
const NORMALIZED_RELATIVE = /^(?:(?!\.\.?\/)[^/]+\/)*(?!\.\.?$)[^/]+$/;

let readBuffer = Buffer.alloc(0);

/** Reading never follows a link at the file itself, and never waits on a FIFO. */
const READ_NO_FOLLOW = fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK;

function lstatOrUndefined(p: string): fs.Stats | undefined {
  return fs.lstatSync(p, { throwIfNoEntry: false });
}

function readlinkOrUndefined(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}

function realpathOrSelf(p: string): string {
  try {
    return fs.realpathSync(p);
  } catch {
    return path.resolve(p);
  }
}

function describeKind(stat: fs.Stats): string {
  if (stat.isSymbolicLink()) return 'a symbolic link';
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFile()) return 'a file';
  return 'a special file';
}
