import * as os from 'os';
import { MessageChannel, MessagePort, Worker, receiveMessageOnPort } from 'worker_threads';
import { ResolvedContainerRuntime, ShootRuntimesChartProps } from '../constructs/shoot-runtimes-chart';
import { Diagnostic, InputError } from '../diagnostics';
import { ShootRef } from '../model/container-runtime';
import { RenderedFile, generateShoot, toRenderedFiles } from '../output/render';
import { checkGenerated } from '../validate/output';
import { workerScript } from '../worker-script';

/** What every shoot of a run is rendered with: the same in the main thread and in each worker. */
export interface ShootRenderSettings {
  readonly argoSyncWaves: boolean;
  readonly installer: NonNullable<ShootRuntimesChartProps['installer']>;
}

/** One shoot to render: plain data, so that it can be posted to a worker thread. */
export interface ShootJob {
  readonly shoot: ShootRef;
  readonly runtimes: readonly ResolvedContainerRuntime[];
  readonly uninstalls: NonNullable<ShootRuntimesChartProps['uninstalls']>;
}

/** A shoot's files and the schema or safety rules its objects broke (bugs, reported after the last file). */
export interface ShootRendering {
  readonly files: RenderedFile[];
  readonly violations: readonly string[];
}

/** The one way a shoot is rendered, whichever thread runs it. */
export function renderShoot(job: ShootJob, settings: ShootRenderSettings): ShootRendering {
  const generated = generateShoot(job.shoot, job.runtimes, { ...settings, uninstalls: job.uninstalls });
  return { violations: checkGenerated(generated), files: toRenderedFiles(generated) };
}

/**
 * How many threads render shoots: `SHOOT_RUNTIMES_THREADS` when set (1 renders in the main thread
 * only), else the machine's available cores.
 */
export function renderThreads(): number {
  const set = process.env.SHOOT_RUNTIMES_THREADS;
  if (set === undefined || set === '') return os.availableParallelism();
  const n = Number(set);
  if (!Number.isInteger(n) || n < 1) {
    throw new InputError([{ origin: { file: 'environment', line: 0 }, path: 'SHOOT_RUNTIMES_THREADS', message: `must be a whole number of at least 1, not ${JSON.stringify(set)}` }]);
  }
  return n;
}

/** How long a claimed chunk is waited for: rendering 8 shoots takes well under a second. */
const GIVE_UP_MS = 60_000;

/** What a worker posts back for a chunk of shoots: `skipped` when the main thread claimed it first. */
export type ChunkResult =
  | { readonly id: number; readonly shoots: readonly ShootRendering[] }
  | { readonly id: number; readonly skipped: true }
  | { readonly id: number; readonly error: { readonly message: string; readonly stack?: string; readonly diagnostics?: readonly Diagnostic[] } };

/** What a worker is started with. */
export interface WorkerData {
  readonly settings: ShootRenderSettings;
  readonly results: MessagePort;
  /** [0]: incremented (and notified) after every result a worker posts and when one stops; [1]: workers stopped. */
  readonly signal: Int32Array;
  /** Per chunk id: 0 until a thread claims the chunk (compareExchange to 1) to render it. */
  readonly claims: Int32Array;
}

/**
 * Worker threads rendering chunks of shoots, driven synchronously from the main thread, which
 * renders too: every chunk goes to a worker, but whichever thread claims it first renders it, so
 * the main thread renders a chunk it needs that no worker has started, and, while a worker renders
 * the one it needs, newer chunks. It waits (Atomics.wait) only when no chunk is left unclaimed (and
 * for a claimed chunk at most GIVE_UP_MS, then renders it itself), and reads
 * the workers' results with receiveMessageOnPort: no event loop turn is needed, so the caller
 * still consumes one shoot's files at a time, in shoot order.
 */
export class RenderPool {
  private readonly signal = new Int32Array(new SharedArrayBuffer(8));
  private readonly claims: Int32Array;
  private readonly workers: { readonly worker: Worker; readonly port: MessagePort; outstanding: number }[] = [];
  private readonly jobs = new Map<number, readonly ShootJob[]>();
  private readonly done = new Map<number, ChunkResult>();
  /** Chunks the main thread rendered while it waited for an older one. */
  private readonly ahead = new Map<number, readonly ShootRendering[]>();
  private nextId = 0;
  /** Shoots the workers rendered (the rest the main thread did). */
  byWorkers = 0;

  /**
   * `chunks`: how many chunks the run submits at most; `giveUpMs`: how long take() waits for a
   * chunk a worker claimed before it renders the chunk itself.
   */
  constructor(workers: number, private readonly settings: ShootRenderSettings, chunks: number, private readonly giveUpMs = GIVE_UP_MS) {
    this.claims = new Int32Array(new SharedArrayBuffer(4 * chunks));
    for (let i = 0; i < workers; i++) {
      const { port1, port2 } = new MessageChannel();
      const data: WorkerData = { settings, results: port2, signal: this.signal, claims: this.claims };
      const worker = new Worker(workerScript(__dirname, 'render-worker'), { workerData: data, transferList: [port2] });
      worker.unref();
      this.workers.push({ worker, port: port1, outstanding: 0 });
    }
  }

  /** Hands a chunk to the least busy worker; returns the chunk's id for take. */
  submit(jobs: readonly ShootJob[]): number {
    const id = this.nextId++;
    this.jobs.set(id, jobs);
    const target = this.workers.reduce((a, b) => (b.outstanding < a.outstanding ? b : a));
    target.outstanding++;
    target.worker.postMessage({ id, jobs });
    return id;
  }

  /**
   * The chunk's renderings. Rendered here if no worker has claimed it; else, while a worker renders
   * it, the main thread renders the newest chunk no worker has claimed (workers take theirs oldest
   * first), and waits only when there is none. A worker's error is thrown here.
   */
  take(id: number): readonly ShootRendering[] {
    // A worker that stopped (its error comes as the Worker's 'error' event) may hold a claimed chunk.
    if (Atomics.load(this.signal, 1) > 0) throw new Error('a render worker thread stopped before the run ended');
    const jobs = this.jobs.get(id)!;
    this.jobs.delete(id);
    const ahead = this.ahead.get(id);
    if (ahead) {
      this.ahead.delete(id);
      return ahead;
    }
    if (this.claim(id)) return this.render(jobs);
    const since = Date.now();
    for (;;) {
      const seen = Atomics.load(this.signal, 0);
      for (const w of this.workers) {
        for (let m = receiveMessageOnPort(w.port); m; m = receiveMessageOnPort(w.port)) {
          w.outstanding--;
          if (!('skipped' in m.message)) this.done.set(m.message.id, m.message);
        }
      }
      const result = this.done.get(id);
      if (result) {
        this.done.delete(id);
        if ('error' in result) throw workerError(result.error);
        this.byWorkers += jobs.length;
        return (result as { shoots: readonly ShootRendering[] }).shoots;
      }
      if (Atomics.load(this.signal, 1) > 0) throw new Error('a render worker thread stopped before the run ended');
      const newest = [...this.jobs.keys()].reverse().find((other) => this.claim(other));
      if (newest !== undefined) {
        this.ahead.set(newest, this.render(this.jobs.get(newest)!));
        continue;
      }
      // A worker killed without running its exit handler (out of memory) never answers, and this
      // thread cannot wait for the event that says so: after a while it renders the chunk itself.
      const waited = Date.now() - since;
      if (waited >= this.giveUpMs) return this.render(jobs);
      Atomics.wait(this.signal, 0, seen, this.giveUpMs - waited);
    }
  }

  /** Whether this thread got the chunk to render (no worker claimed it, nor did this thread before). */
  private claim(id: number): boolean {
    return Atomics.compareExchange(this.claims, id, 0, 1) === 0;
  }

  private render(jobs: readonly ShootJob[]): readonly ShootRendering[] {
    return jobs.map((job) => renderShoot(job, this.settings));
  }

  close(): void {
    for (const w of this.workers) {
      w.port.close();
      void w.worker.terminate();
    }
  }
}

function workerError(e: { message: string; stack?: string; diagnostics?: readonly Diagnostic[] }): Error {
  const error = e.diagnostics ? new InputError(e.diagnostics) : new Error(e.message);
  if (e.stack) error.stack = e.stack;
  return error;
}
