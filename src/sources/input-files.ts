/**
 * Finding and reading input files. Inputs are regular files only: whatever the walk meets (a
 * symlink to /dev/zero, a FIFO, a symlink loop), it never blocks, never reads past the size cap and
 * never reads one file twice.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { DiagnosticCollector } from '../diagnostics';
import { compareStrings } from '../model/container-runtime';

/** Files an input directory contributes: YAML and JSON manifests. */
export const INPUT_FILE = /\.(?:ya?ml|json)$/;

/** Input files larger than this are refused: memory stays bounded. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;

/**
 * Every `*.yaml`, `*.yml` and `*.json` file under the given paths, sorted so that the order of a
 * directory listing never matters. A path given explicitly is taken whatever its name. Inside a
 * directory, a symlink is followed only to a regular file inside the given paths; symlinked
 * directories are not followed, and a directory reached twice (a bind mount) is walked once, so a
 * walk cannot loop. A file reached twice (through a symlink or a hard link, or given twice) is
 * listed once, under its first name in sorted order.
 */
export function listInputFiles(paths: readonly string[], problems: DiagnosticCollector): string[] {
  const roots = paths.map((p) => realPath(p)).filter((p): p is string => p !== undefined);
  // Files and directories by device and inode: one file has one identity, whatever its names.
  const files = new Map<string, string>();
  const directories = new Set<string>();
  const identity = (stat: fs.Stats) => `${stat.dev}:${stat.ino}`;
  const found = (file: string, stat: fs.Stats = fs.statSync(file)): void => {
    const known = files.get(identity(stat));
    if (known === undefined || compareStrings(file, known) < 0) files.set(identity(stat), file);
  };
  const refuse = (file: string, message: string) => problems.add({ origin: { file, line: 0 }, message });

  const visitDirectory = (dir: string): void => {
    const id = identity(fs.statSync(dir));
    if (directories.has(id)) return;
    directories.add(id);
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true });
    } catch (error) {
      return refuse(dir, `cannot read the directory (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    for (const entry of entries.sort((a, b) => compareStrings(a.name, b.name))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        visitDirectory(p);
      } else if (entry.isSymbolicLink()) {
        visitSymlink(p, INPUT_FILE.test(entry.name));
      } else if (INPUT_FILE.test(entry.name)) {
        if (entry.isFile()) found(p);
        else refuse(p, `is ${fileKind(entry)}, not a regular file; only regular files are read`);
      }
    }
  };

  const visitSymlink = (link: string, namedAsInput: boolean): void => {
    let real: string;
    try {
      real = fs.realpathSync(link);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ELOOP') return refuse(link, 'is a symlink loop');
      if (namedAsInput) refuse(link, 'is a symlink to a path that does not exist');
      return;
    }
    const stat = fs.statSync(real);
    if (stat.isDirectory()) {
      return refuse(link, 'is a symlink to a directory; symlinked directories are not followed (give the directory as an input of its own)');
    }
    if (!namedAsInput) return;
    if (!stat.isFile()) return refuse(link, `is a symlink to ${fileKind(stat)}, not to a regular file; only regular files are read`);
    if (!roots.some((root) => real === root || real.startsWith(root.endsWith(path.sep) ? root : root + path.sep))) {
      return refuse(link, 'is a symlink to a file outside the input paths; only symlinks within them are followed');
    }
    found(link, stat);
  };

  for (const p of paths) {
    let stat: fs.Stats;
    try {
      // An input named on the command line is the user's choice: symlinks to it are followed.
      stat = fs.statSync(p);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      refuse(p, code === 'ELOOP' ? 'is a symlink loop' : 'input path does not exist');
      continue;
    }
    if (stat.isDirectory()) visitDirectory(p);
    else if (stat.isFile()) found(p, stat);
    else refuse(p, `is ${fileKind(stat)}, not a regular file; only regular files are read`);
  }
  return [...files.values()].sort(compareStrings);
}

function realPath(p: string): string | undefined {
  try {
    return fs.realpathSync(p);
  } catch {
    return undefined;
  }
}

function fileKind(stat: fs.Stats | fs.Dirent): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice()) return 'a character device';
  if (stat.isBlockDevice()) return 'a block device';
  if (stat.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * The bytes of a regular file, or `undefined` (reported) when it is something else, unreadable or
 * larger than MAX_FILE_BYTES. The file is opened without blocking and checked through its open
 * descriptor, and at most one byte past the cap is ever read, whatever its size claims.
 */
export function readRegularFile(file: string, problems: Pick<DiagnosticCollector, 'add'>): Buffer | undefined {
  const refuse = (message: string) => {
    problems.add({ origin: { file, line: 0 }, message });
    return undefined;
  };
  let fd: number;
  try {
    // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer.
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return refuse('does not exist');
    if (code === 'EISDIR') return refuse('is a directory, not a file');
    return refuse(`cannot be read (${code ?? String(error)})`);
  }
  try {
    const stat = fs.fstatSync(fd);
    if (!stat.isFile()) return refuse(`is ${fileKind(stat)}, not a regular file; only regular files are read`);
    if (stat.size > MAX_FILE_BYTES) return refuse(`file is ${stat.size} bytes; input files may be at most ${MAX_FILE_BYTES} bytes`);
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(Math.min(1024 * 1024, MAX_FILE_BYTES + 1 - total));
      const n = fs.readSync(fd, chunk, 0, chunk.length, null);
      if (n === 0) break;
      chunks.push(chunk.subarray(0, n));
      total += n;
      if (total > MAX_FILE_BYTES) return refuse(`file is more than ${MAX_FILE_BYTES} bytes; input files may be at most ${MAX_FILE_BYTES} bytes`);
    }
    return Buffer.concat(chunks, total);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return refuse(code === 'EISDIR' ? 'is a directory, not a file' : `cannot be read (${code ?? String(error)})`);
  } finally {
    fs.closeSync(fd);
  }
}
