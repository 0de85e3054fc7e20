/**
 * A render worker thread (RenderPool): renders each chunk of shoots it is posted, unless the main
 * thread claimed it first, and posts the files back on its results port, or the error that stopped it.
 */
import { parentPort, workerData } from 'worker_threads';
import { ChunkResult, ShootJob, WorkerData, renderShoot } from './render-pool';

const { settings, results, signal, claims } = workerData as WorkerData;

// Stopping for any reason (an uncaught error, running out of memory) wakes the main thread, which
// may be waiting for a chunk this worker claimed.
process.on('exit', () => {
  Atomics.add(signal, 1, 1);
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});

parentPort!.on('message', ({ id, jobs }: { id: number; jobs: readonly ShootJob[] }) => {
  const claimed = Atomics.compareExchange(claims, id, 0, 1) === 0;
  results.postMessage(claimed ? render(id, jobs) : { id, skipped: true });
  Atomics.add(signal, 0, 1);
  Atomics.notify(signal, 0);
});

function render(id: number, jobs: readonly ShootJob[]): ChunkResult {
  try {
    return { id, shoots: jobs.map((job) => renderShoot(job, settings)) };
  } catch (error) {
    const e = error as Error & { diagnostics?: unknown };
    return { id, error: { message: String(e?.message ?? error), stack: e?.stack, ...(Array.isArray(e?.diagnostics) ? { diagnostics: e.diagnostics } : {}) } };
  }
}
