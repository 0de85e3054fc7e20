import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { FileSystemError, OutputTree, STATE_DIR, describeErrno, isErrnoError } from './tree';

/**
 * One run at a time per output directory. The lock is a file, `.shoot-runtimes/lock`, created
 * whole and exclusively (a hard link from a temp file: it never exists half-written), naming the
 * holder's host, pid and the pid's start time. A lock whose holder no longer runs on this host
 * (killed: no finally block ran) is stale and taken over; taking over goes through a second
 * exclusive file, so two runs that find the same stale lock never both win.
 */

export const LOCK_FILE = `${STATE_DIR}/lock`;

interface Holder {
  readonly host: string;
  readonly pid: number;
  /** The process's start time (Linux: clock ticks since boot), so a reused pid is not taken for the holder. */
  readonly started?: string;
}

export class OutputLock {
  private constructor(private readonly file: string) {}

  /** Takes the lock of `tree`, or throws a FileSystemError naming the run that holds it. */
  public static acquire(tree: OutputTree): OutputLock {
    const file = tree.abs(LOCK_FILE);
    try {
      // Not recursive: the output directory exists, and a recursive mkdir reports EROFS as ENOENT.
      fs.mkdirSync(path.dirname(file));
    } catch (error) {
      if (!isErrnoError(error)) throw error;
      if (error.code !== 'EEXIST') throw problem(path.dirname(file), `cannot create the state directory: ${describeErrno(error.code)}`);
    }
    const me: Holder = { host: os.hostname(), pid: process.pid, started: startTime(process.pid) };
    for (let attempt = 0; attempt < 20; attempt++) {
      if (createExclusively(file, me)) return new OutputLock(file);
      const holder = readHolder(file);
      if (holder === undefined) continue; // released meanwhile
      if (isAlive(holder)) throw problem(file, `another shoot-runtimes run holds the output directory (pid ${holder.pid} on ${holder.host}); wait for it to finish${holder.host === me.host ? '' : `, or delete this file if no run is active on ${holder.host}`}`);
      breakStale(file, holder, me);
    }
    throw problem(file, 'could not take the lock: other runs keep taking it');
  }

  /** Releases the lock (only if it is still ours). */
  public release(): void {
    const holder = readHolder(this.file);
    if (holder?.pid === process.pid && holder.host === os.hostname()) fs.rmSync(this.file, { force: true });
  }
}

function problem(file: string, message: string): FileSystemError {
  return new FileSystemError([{ origin: { file, line: 0 }, message }]);
}

/** Creates `file` holding `holder`, atomically and only if it does not exist. */
function createExclusively(file: string, holder: Holder): boolean {
  const temp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temp, `${JSON.stringify(holder)}\n`);
    fs.linkSync(temp, file);
    return true;
  } catch (error) {
    if (isErrnoError(error) && error.code === 'EEXIST') return false;
    if (isErrnoError(error)) throw problem(error.path ?? file, `cannot take the lock: ${describeErrno(error.code)}`);
    throw error;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

function readHolder(file: string): Holder | undefined {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const parsed = JSON.parse(text) as Partial<Holder>;
    if (typeof parsed.host === 'string' && Number.isInteger(parsed.pid)) {
      return { host: parsed.host, pid: parsed.pid!, ...(typeof parsed.started === 'string' ? { started: parsed.started } : {}) };
    }
  } catch {
    // fall through: not a lock we wrote
  }
  // A lock file of the wrong form cannot name a living holder: treat it as stale.
  return { host: os.hostname(), pid: -1 };
}

/** Whether the holder still runs: on this host, its pid exists with the same start time; elsewhere we cannot tell. */
function isAlive(holder: Holder): boolean {
  if (holder.host !== os.hostname()) return true;
  if (holder.pid <= 0) return false;
  try {
    process.kill(holder.pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  const started = startTime(holder.pid);
  return holder.started === undefined || started === undefined || started === holder.started;
}

/** Removes a stale lock, unless another run replaced it meanwhile. */
function breakStale(file: string, stale: Holder, me: Holder): void {
  const breaker = `${file}.break`;
  if (!createExclusively(breaker, me)) {
    const other = readHolder(breaker);
    if (other !== undefined && !isAlive(other)) fs.rmSync(breaker, { force: true });
    sleep(50);
    return;
  }
  try {
    const now = readHolder(file);
    if (now !== undefined && now.pid === stale.pid && now.host === stale.host && now.started === stale.started) fs.rmSync(file, { force: true });
  } finally {
    fs.rmSync(breaker, { force: true });
  }
}

/** Field 22 of /proc/<pid>/stat: when the process started. `undefined` where /proc is missing. */
function startTime(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count after its end.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
