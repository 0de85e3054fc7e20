/**
 * `npm run bench`: synth on fleets of 100, 1,000 and 10,000 shoots (BENCH_SIZES=100,1000 to
 * choose), each as a whole CLI process, against the floor (floor.ts). Prints a Markdown table:
 * wall time, peak RSS, objects written, size on disk and per shoot, a second synth with nothing
 * changed and a third with one shoot's input changed, then each target of docs/performance.md as
 * a figure. Every run starts after `sync`; BENCH_REPEAT=N times the first run, the unchanged
 * re-run and the floor N times each and reports the median.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { changeOneShoot, writeFleet } from './fleet';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'shoot-runtimes');

interface Run { ms: number; rssMiB: number; stderr: string }

/** Flushes what earlier runs wrote, so that no run pays for another's writeback. */
function settle(): void {
  spawnSync('sync');
}

/** The run of median time among `times` runs of `run` (each after settle()). */
function median<T extends { ms: number }>(times: number, run: () => T): T {
  const runs = Array.from({ length: times }, () => { settle(); return run(); }).sort((a, b) => a.ms - b.ms);
  return runs[Math.floor(runs.length / 2)];
}

function timed(args: string[], rssFile: string): Run {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-r', path.join(__dirname, 'rss.js'), ...args], {
    encoding: 'utf8', env: { ...process.env, BENCH_RSS_FILE: rssFile }, maxBuffer: 1 << 26,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed:\n${result.stderr}`);
  return { ms, rssMiB: Number(fs.readFileSync(rssFile, 'utf8')) / 1024, stderr: result.stderr };
}

/** Files and bytes of the whole tree, and `applied`: the bytes outside the tool's state (what the agents read). */
function diskUsage(dir: string): { files: number; bytes: number; blocks: number; applied: number } {
  let files = 0;
  let bytes = 0;
  let blocks = 0;
  let applied = 0;
  const walk = (d: string, state: boolean) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) { walk(p, state || entry.name === '.shoot-runtimes'); continue; }
      const st = fs.statSync(p);
      files++; bytes += st.size; blocks += st.blocks * 512;
      if (!state) applied += st.size;
    }
  };
  walk(dir, false);
  return { files, bytes, blocks, applied };
}

const loadBefore = os.loadavg().map((l) => l.toFixed(2)).join(' ');
const sizes = (process.env.BENCH_SIZES ?? '100,1000,10000').split(',').map(Number);
// On a shared machine one run can be slowed by another's load: BENCH_REPEAT=3 reports the median
// of three first runs, unchanged re-runs and floors.
const repeat = Math.max(1, Number(process.env.BENCH_REPEAT ?? 1));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'shoot-runtimes-bench-'));
const rows: string[] = [];
const seconds: Record<number, number> = {};
const ratios: Record<number, number> = {};
const rerun: Record<number, { unchanged: number; oneChanged: number }> = {};
const perShootKB: Record<number, { all: number; applied: number }> = {};
const peakMiB: Record<number, number> = {};
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
try {
  for (const n of sizes) {
    const input = path.join(work, `fleet-${n}`);
    const out = path.join(work, `out-${n}`);
    writeFleet(input, n);
    const rss = path.join(work, 'rss');
    const synth = () => timed([BIN, 'synth', '--input', input, '--out', out], rss);
    const first = median(repeat, () => { fs.rmSync(out, { recursive: true, force: true }); return synth(); });
    const second = median(repeat, synth);
    changeOneShoot(input);
    const third = synth();
    if (!/ [1-9]\d* files written/.test(third.stderr)) throw new Error(`changing one shoot wrote nothing: ${third.stderr}`);
    const floor = median(repeat, () => {
      const floorOut = path.join(work, `floor-${n}`);
      fs.rmSync(floorOut, { recursive: true, force: true });
      const floorRun = spawnSync(process.execPath, [path.join(__dirname, 'floor.js'), input, out, floorOut], { encoding: 'utf8', maxBuffer: 1 << 26 });
      if (floorRun.status !== 0) throw new Error(`floor failed: ${floorRun.stderr}`);
      return JSON.parse(floorRun.stdout) as { ms: number; objects: number };
    });
    const disk = diskUsage(out);
    seconds[n] = first.ms / 1000;
    ratios[n] = first.ms / floor.ms;
    rerun[n] = { unchanged: second.ms / first.ms, oneChanged: third.ms / first.ms };
    perShootKB[n] = { all: disk.bytes / n / 1000, applied: disk.applied / n / 1000 };
    peakMiB[n] = Math.max(first.rssMiB, second.rssMiB, third.rssMiB);
    rows.push(`| ${n} | ${(first.ms / 1000).toFixed(2)} s | ${peakMiB[n].toFixed(0)} MiB | ${(floor.ms / 1000).toFixed(2)} s | ${ratios[n].toFixed(2)} | ${floor.objects} | ${disk.files} | ${mib(disk.bytes)} (${mib(disk.blocks)} on disk) | ${perShootKB[n].applied.toFixed(1)} KB (${perShootKB[n].all.toFixed(1)} KB) | ${(second.ms / 1000).toFixed(2)} s | ${(third.ms / 1000).toFixed(2)} s |`);
    process.stderr.write(`bench: ${n} shoots done\n`);
    fs.rmSync(input, { recursive: true, force: true });
    fs.rmSync(out, { recursive: true, force: true });
    fs.rmSync(path.join(work, `floor-${n}`), { recursive: true, force: true });
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

console.log(`Machine: ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`);
console.log('');
console.log(`Load average before/after: ${loadBefore} / ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
console.log('');
console.log('| shoots | synth (first) | peak RSS | floor | synth/floor | objects | files | output size | per shoot (with state) | synth (unchanged) | synth (one shoot changed) |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
rows.forEach((r) => console.log(r));
console.log('');
const target = (met: boolean) => (met ? 'met' : 'MISSED');
for (const n of sizes) {
  const { all, applied } = perShootKB[n];
  console.log(`${n} shoots: ${applied.toFixed(1)} KB of output per shoot, ${all.toFixed(1)} KB with the tool's state (target: at most 30 KB: ${target(applied <= 30)}, with state ${target(all <= 30)})`);
}
if (ratios[1000]) console.log(`1,000 shoots: the first synth is ${ratios[1000].toFixed(2)}x the floor (target: at most 2x: ${target(ratios[1000] <= 2)})`);
for (const [n, limit] of [[1000, 0.25], [10000, 0.1]]) {
  if (!rerun[n]) continue;
  console.log(`${n} shoots: nothing changed ${rerun[n].unchanged.toFixed(2)}x, one shoot changed ${rerun[n].oneChanged.toFixed(2)}x the first run (target: at most ${limit}x: ${target(Math.max(rerun[n].unchanged, rerun[n].oneChanged) <= limit)})`);
}
if (seconds[1000] && seconds[10000]) console.log(`10,000 vs 1,000 shoots: ${(seconds[10000] / seconds[1000]).toFixed(1)}x the time (target: at most 11x: ${target(seconds[10000] / seconds[1000] <= 11)})`);
if (peakMiB[10000]) console.log(`10,000 shoots: peak RSS ${peakMiB[10000].toFixed(0)} MiB (target: at most 1024 MiB: ${target(peakMiB[10000] <= 1024)})`);
