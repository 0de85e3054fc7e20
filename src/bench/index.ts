/**
 * `npm run bench`: synth on fleets of 100, 1,000 and 10,000 shoots (BENCH_SIZES=100,1000 to
 * choose), each as a whole CLI process, against the floor (floor.ts). Prints a Markdown table:
 * wall time, peak RSS, objects written, size on disk, a second (unchanged) synth, and the ratios
 * the targets are about (docs/performance.md).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { writeFleet } from './fleet';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const BIN = path.join(ROOT, 'bin', 'shoot-runtimes');

interface Run { ms: number; rssMiB: number; stderr: string }

function timed(args: string[], rssFile: string): Run {
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ['-r', path.join(__dirname, 'rss.js'), ...args], {
    encoding: 'utf8', env: { ...process.env, BENCH_RSS_FILE: rssFile }, maxBuffer: 1 << 26,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed:\n${result.stderr}`);
  return { ms, rssMiB: Number(fs.readFileSync(rssFile, 'utf8')) / 1024, stderr: result.stderr };
}

function diskUsage(dir: string): { files: number; bytes: number; blocks: number } {
  let files = 0;
  let bytes = 0;
  let blocks = 0;
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) { walk(p); continue; }
      const st = fs.statSync(p);
      files++; bytes += st.size; blocks += st.blocks * 512;
    }
  };
  walk(dir);
  return { files, bytes, blocks };
}

const sizes = (process.env.BENCH_SIZES ?? '100,1000,10000').split(',').map(Number);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'shoot-runtimes-bench-'));
const rows: string[] = [];
const seconds: Record<number, number> = {};
const ratios: Record<number, number> = {};
const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
try {
  for (const n of sizes) {
    const input = path.join(work, `fleet-${n}`);
    const out = path.join(work, `out-${n}`);
    writeFleet(input, n);
    const rss = path.join(work, 'rss');
    const first = timed([BIN, 'synth', '--input', input, '--out', out], rss);
    const second = timed([BIN, 'synth', '--input', input, '--out', out], rss);
    const floorRun = spawnSync(process.execPath, [path.join(__dirname, 'floor.js'), input, out, path.join(work, `floor-${n}`)], { encoding: 'utf8', maxBuffer: 1 << 26 });
    if (floorRun.status !== 0) throw new Error(`floor failed: ${floorRun.stderr}`);
    const floor = JSON.parse(floorRun.stdout) as { ms: number; objects: number };
    const disk = diskUsage(out);
    seconds[n] = first.ms / 1000;
    ratios[n] = first.ms / floor.ms;
    rows.push(`| ${n} | ${(first.ms / 1000).toFixed(2)} s | ${first.rssMiB.toFixed(0)} MiB | ${(floor.ms / 1000).toFixed(2)} s | ${ratios[n].toFixed(2)} | ${floor.objects} | ${disk.files} | ${mib(disk.bytes)} (${mib(disk.blocks)} on disk) | ${(second.ms / 1000).toFixed(2)} s |`);
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
console.log('| shoots | synth (first) | peak RSS | floor | synth/floor | objects | files | output size | synth (unchanged) |');
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
rows.forEach((r) => console.log(r));
if (seconds[1000] && seconds[10000]) console.log(`\n10,000 vs 1,000 shoots: ${(seconds[10000] / seconds[1000]).toFixed(1)}x the time (target: at most 12x)`);
if (ratios[1000]) console.log(`1,000 shoots: synth is ${ratios[1000].toFixed(2)}x the floor (target: at most 3x)`);
