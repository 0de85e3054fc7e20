import { spawnSync } from 'child_process';
import * as path from 'path';
import { writeFleet } from '../src/bench/fleet';
import { OutputError } from '../src/validate/output';
import { PreparedRun, prepareRun, renderRun } from '../src/pipeline/run';
import { INLINE_RENDERS } from '../src/pipeline/shoot-renderer';
import { RenderPool, ShootRenderSettings, renderShoot } from '../src/pipeline/render-pool';
import { BIN } from './support/cli';
import { readTree, tempDir } from './support/fixtures';

// Worker threads run the compiled lib/ (`npm test` builds it first); this file's side runs the sources.

/** Renders with `threads`, from the first shoot on; the files and how many shoots workers rendered. */
function render(prepared: PreparedRun, threads: number): { files: { path: string; content: string }[]; byWorkers: number } {
  let byWorkers = -1;
  const files = [...renderRun(prepared, { threads, inlineRenders: 0, onWorkerShoots: (n) => { byWorkers = n; } })]
    .map((f) => ({ path: f.path, content: f.content }));
  return { files, byWorkers };
}

describe('rendering in worker threads', () => {
  const fleet = tempDir();
  writeFleet(fleet, 120);
  const prepared = prepareRun({ inputs: [fleet] });

  test('gives the same files in the same order as one thread, whatever the thread count', () => {
    const one = render(prepared, 1);
    expect(one.byWorkers).toBe(0);
    for (const threads of [2, 3]) {
      const many = render(prepared, threads);
      expect(many.byWorkers).toBeGreaterThan(0);
      expect(many.files.map((f) => f.path)).toEqual(one.files.map((f) => f.path));
      expect(many.files).toEqual(one.files);
    }
  });

  test('a chunk a worker claimed and never answered for is rendered by the main thread after a while', async () => {
    const settings: ShootRenderSettings = { argoSyncWaves: false, installer: { ...prepared.installer, configMap: 'shared' } };
    const pool = new RenderPool(1, settings, 1, 500);
    // One chunk of every shoot: rendering it takes far longer than killing the worker does.
    const jobs = prepared.shoots.map(({ shoot, runtimes }) => ({ shoot, runtimes, uninstalls: [] }));
    const id = pool.submit(jobs);
    const internals = pool as unknown as { claims: Int32Array; workers: { worker: { terminate(): Promise<number> } }[] };
    const tick = new Int32Array(new SharedArrayBuffer(4));
    while (Atomics.load(internals.claims, id) === 0) Atomics.wait(tick, 0, 0, 1);
    await internals.workers[0].worker.terminate();
    try {
      const before = Date.now();
      const shoots = pool.take(id);
      expect(Date.now() - before).toBeLessThan(4000);
      expect(shoots).toEqual(jobs.map((job) => renderShoot(job, settings)));
      expect(pool.byWorkers).toBe(0);
    } finally {
      pool.close();
    }
  });

  test('a generated object that breaks a rule inside a worker fails the run as in one thread', () => {
    const broken: PreparedRun = { ...prepared, installer: { ...prepared.installer, image: 'Not An Image' } };
    const failure = (threads: number) => {
      let byWorkers = 0;
      try {
        for (const _ of renderRun(broken, { threads, inlineRenders: 0, onWorkerShoots: (n) => { byWorkers = n; } }));
      } catch (error) {
        return { error, byWorkers };
      }
      throw new Error('the run did not fail');
    };
    const one = failure(1);
    const many = failure(2);
    expect(many.byWorkers).toBeGreaterThan(0);
    expect(one.error).toBeInstanceOf(OutputError);
    expect(many.error).toBeInstanceOf(OutputError);
    expect((many.error as OutputError).violations).toEqual((one.error as OutputError).violations);
    expect((one.error as OutputError).violations.length).toBeGreaterThan(120);
  });
});

test('synth (the CLI) writes the same bytes with SHOOT_RUNTIMES_THREADS=1 and =3', () => {
  // More shoots than the CLI renders in its own thread before it starts workers.
  const fleet = tempDir();
  writeFleet(fleet, INLINE_RENDERS + 60);
  const synth = (threads: string) => {
    const out = path.join(tempDir(), 'out');
    const result = spawnSync(process.execPath, [BIN, 'synth', '--input', fleet, '--out', out], {
      encoding: 'utf8', env: { ...process.env, SHOOT_RUNTIMES_THREADS: threads },
    });
    expect([result.status, result.stderr]).toEqual([0, expect.stringContaining(`${INLINE_RENDERS + 60} shoots`)]);
    return readTree(out);
  };
  const one = synth('1');
  const three = synth('3');
  expect(Object.keys(three).length).toBeGreaterThan(13 * INLINE_RENDERS);
  expect(three).toEqual(one);
});

test('SHOOT_RUNTIMES_THREADS must be a whole number of at least 1', () => {
  const result = spawnSync(process.execPath, [BIN, 'synth', '--input', tempDir(), '--out', path.join(tempDir(), 'out')], {
    encoding: 'utf8', env: { ...process.env, SHOOT_RUNTIMES_THREADS: '0' },
  });
  expect(result.status).not.toBe(0);
  expect(result.stderr).toContain('environment:0: SHOOT_RUNTIMES_THREADS: must be a whole number of at least 1, not "0"');
});
