import { RenderPool, ShootJob, ShootRenderSettings, ShootRendering, renderShoot } from './render-pool';

/** Shoots rendered in the calling thread before a run starts worker threads (see docs/performance.md). */
export const INLINE_RENDERS = 100;
/** Shoots per message to a worker. */
const CHUNK = 8;
/**
 * Chunks per worker handed out ahead of the one the writer waits for: enough that a worker is
 * never idle while the main thread writes (192 shoots, a few MiB of rendered text per worker).
 */
const AHEAD = 24;

interface Chunk {
  jobs: ShootJob[];
  id?: number;
  results?: readonly ShootRendering[];
}

/** Where a shoot handed to the workers is: its chunk and its place in it. */
export interface Ticket {
  readonly chunk: Chunk;
  readonly index: number;
}

/**
 * Decides where renderRun's shoots are rendered: in the calling thread, or, once a run has more
 * than INLINE_RENDERS shoots to render and may use more than one thread, in chunks shared between
 * the calling thread and `threads - 1` worker threads (RenderPool), at most `window` shoots ahead
 * of the one being written (so memory stays bounded). A small fleet, or a re-run that renders few
 * shoots, never pays for starting workers.
 */
export class ShootRenderer {
  private pool?: RenderPool;
  private chunk: Chunk = { jobs: [] };
  private submitted = 0;

  /**
   * `threads`: the main thread and threads - 1 workers; `inline`: shoots rendered before workers
   * start; `shoots`: how many the run may render at most.
   */
  constructor(private readonly settings: ShootRenderSettings, private readonly counts: { readonly threads: number; readonly inline: number; readonly shoots: number }) {}

  /** How many shoots renderRun may have taken up and not yet yielded. */
  get window(): number {
    return this.pool ? (this.counts.threads - 1) * AHEAD * CHUNK : 0;
  }

  /** Takes a shoot to render: a ticket when a worker will render it, `undefined` when take will. */
  submit(job: ShootJob): Ticket | undefined {
    if (this.counts.threads <= 1 || ++this.submitted <= this.counts.inline) return undefined;
    this.pool ??= new RenderPool(this.counts.threads - 1, this.settings, Math.ceil(this.counts.shoots / CHUNK));
    const ticket = { chunk: this.chunk, index: this.chunk.jobs.length };
    this.chunk.jobs.push(job);
    if (this.chunk.jobs.length === CHUNK) this.flush();
    return ticket;
  }

  /** The shoot's files: rendered now, or waited for. */
  take(job: ShootJob, ticket: Ticket | undefined): ShootRendering {
    if (!ticket) return renderShoot(job, this.settings);
    const { chunk } = ticket;
    if (chunk.id === undefined) this.flush();
    chunk.results ??= this.pool!.take(chunk.id!);
    return chunk.results[ticket.index];
  }

  /** Shoots the worker threads rendered. */
  get byWorkers(): number {
    return this.pool?.byWorkers ?? 0;
  }

  close(): void {
    this.pool?.close();
  }

  private flush(): void {
    this.chunk.id = this.pool!.submit(this.chunk.jobs);
    this.chunk.jobs = [];
    this.chunk = { jobs: [] };
  }
}
