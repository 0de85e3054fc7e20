import * as fs from 'fs';
import * as path from 'path';
import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'worker_threads';
import { STATE_DIR, isPlainObject, recordPath, sha256 } from './ownership';
import { OutputTree, isOutputPath, shootOfPath } from './tree';
import { workerScript } from '../worker-script';

/**
 * Reading back the last output for incremental synth. Per shoot whose files (its directory and
 * state file, as the run's ownership record names them) all still hold the recorded bytes: a
 * digest of those paths and hashes (filesDigest), which Fingerprints.reuse compares with the one
 * the shoot's last rendering gave. And a digest of the record read, so that the run can tell
 * that the record it reads under its lock is the same one.
 *
 * It is a fleet's files, read and hashed, so a run with threads does it in a worker thread while
 * the main thread reads the inputs. Nothing here is trusted: the record is read with the same
 * safe reader as the rest, only paths of the output layout are read, never through a link.
 */
export interface ReadBackResult {
  /** sha256 of the record's text; empty when there is none. */
  readonly recordDigest: string;
  /** Shoot (`<namespace>/<name>`) -> filesDigest of its files, for shoots whose files are all as recorded. */
  readonly shoots: ReadonlyMap<string, string>;
}

export function readBack(tree: OutputTree, record: string, alive: () => void = () => undefined): ReadBackResult {
  const shoots = new Map<string, string>();
  const text = tree.read(record);
  if (text === undefined) return { recordDigest: '', shoots };
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { recordDigest: sha256(text), shoots }; // The run's own reading of the record reports what is wrong with it.
  }
  const byShoot = new Map<string, { path: string; sha256: string }[]>();
  const files = isPlainObject(raw) && isPlainObject(raw.files) ? raw.files : {};
  for (const [rel, hash] of Object.entries(files)) {
    const key = shootFileOwner(rel);
    if (key === undefined || typeof hash !== 'string') continue;
    const list = byShoot.get(key);
    if (list) list.push({ path: rel, sha256: hash });
    else byShoot.set(key, [{ path: rel, sha256: hash }]);
  }
  for (const [key, list] of byShoot) {
    alive();
    // shootFileOwner admits only paths of the output layout; read without following links.
    if (list.every((f) => { const content = tree.read(f.path); return content !== undefined && sha256(content) === f.sha256; })) shoots.set(key, filesDigest(list));
  }
  return { recordDigest: sha256(text), shoots };
}

/**
 * What is on disk for the record this run reads (under its lock): what `started` read back, when
 * it read this very record; else read back now, in this thread.
 */
export function readBackNow(tree: OutputTree, shard: string | undefined, started: ReadBack | undefined): ReadBackResult {
  const record = recordPath(shard);
  const back = started?.result();
  const text = back && tree.read(record);
  return back && text !== undefined && sha256(text) === back.recordDigest ? back : readBack(tree, record);
}

/** The shoot whose rendering writes `rel` (its directory's files and its state file; not its GitOps objects). */
export function shootFileOwner(rel: string): string | undefined {
  return (rel.startsWith('shoots/') || rel.startsWith(`${STATE_DIR}/installed/`)) && isOutputPath(rel) ? shootOfPath(rel) : undefined;
}

/** One hash over a shoot's files, paths and contents' hashes, in path order. */
export function filesDigest(files: readonly { readonly path: string; readonly sha256: string }[]): string {
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return sha256(sorted.map((f) => `${f.path}\0${f.sha256}\n`).join(''));
}

/** What the worker is started with. */
export interface ReadBackData {
  readonly root: string;
  readonly record: string;
  readonly results: MessagePort;
  /**
   * [0] becomes 1 (and is notified) when the results are posted or the worker stops; [1] counts
   * up while the worker works (ReadBack.result tells a slow worker from a gone one by it).
   */
  readonly signal: Int32Array;
}

/** How long ReadBack.result waits for a sign of life from the worker before it reads back itself. */
const SIGN_OF_LIFE_MS = 5000;

/** readBack, in a worker thread started now; `result()` waits for it. */
export class ReadBack {
  /** Starts reading back `outDir` for the record of `shard`; `undefined` when there is no record to read back. */
  public static start(outDir: string, shard?: string, signOfLifeMs = SIGN_OF_LIFE_MS): ReadBack | undefined {
    const record = recordPath(shard);
    const script = workerScript(__dirname, 'read-back-worker');
    // No record: nothing to read back. No compiled worker (a partial build): read back in the run's own thread.
    if (!fs.existsSync(path.join(outDir, record)) || !fs.existsSync(script)) return undefined;
    return new ReadBack(outDir, record, script, signOfLifeMs);
  }

  private readonly signal = new Int32Array(new SharedArrayBuffer(8));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  private done?: ReadBackResult;

  private constructor(private readonly root: string, private readonly record: string, script: string, private readonly signOfLifeMs: number) {
    const { port1, port2 } = new MessageChannel();
    const data: ReadBackData = { root, record, results: port2, signal: this.signal };
    this.worker = new Worker(script, { workerData: data, transferList: [port2] });
    this.worker.unref();
    this.port = port1;
  }

  /**
   * What the worker read back. If it stopped without posting it (an error), or shows no sign of
   * life for SIGN_OF_LIFE_MS (it never started, or was killed: no JavaScript of its own ran to say
   * so, and this thread cannot wait for the event that would), read back in this thread.
   */
  public result(): ReadBackResult {
    if (this.done) return this.done;
    for (let beat = -1; Atomics.load(this.signal, 0) === 0;) {
      const now = Atomics.load(this.signal, 1);
      if (now === beat) break;
      beat = now;
      Atomics.wait(this.signal, 0, 0, this.signOfLifeMs);
    }
    const message = receiveMessageOnPort(this.port)?.message as ReadBackResult | undefined;
    this.done = message ?? readBack(new OutputTree(this.root), this.record);
    this.close();
    return this.done;
  }

  public close(): void {
    this.port.close();
    void this.worker.terminate();
  }
}

