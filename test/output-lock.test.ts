import { spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BIN, cli } from './support/cli';
import { shoot, tempDir, writeFiles } from './support/fixtures';

/** A fleet large enough that two synth runs overlap. */
function fleet(count: number): string {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) files[`s${i}.yaml`] = shoot('garden-dev', `s${i}`, [{ name: 'p', runtimes: [{ type: 'gvisor' }, { type: 'kata' }] }]);
  return writeFiles(files);
}

function run(args: string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => { stderr += chunk; });
    child.on('close', (status) => resolve({ status, stderr }));
  });
}

const noStackTrace = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at /);

test('two concurrent synths: the second is told the directory is held (or they ran in turn); never a raw error, a journal or a lock left', async () => {
  const input = fleet(40);
  let refused = 0;
  for (let round = 0; round < 3; round++) {
    const out = tempDir();
    const results = await Promise.all([run(['synth', '--input', input, '--out', out]), run(['synth', '--input', input, '--out', out])]);
    for (const r of results) {
      noStackTrace(r.stderr);
      expect(r.stderr).not.toContain('ENOENT');
      if (r.status !== 0) {
        expect(r.status).toBe(1);
        expect(r.stderr).toMatch(/\.shoot-runtimes\/lock:0: another shoot-runtimes run holds the output directory \(pid \d+ on /);
        refused++;
      }
    }
    expect(results.some((r) => r.status === 0)).toBe(true);
    expect(fs.existsSync(path.join(out, '.shoot-runtimes/journal.json'))).toBe(false);
    expect(fs.existsSync(path.join(out, '.shoot-runtimes/lock'))).toBe(false);
    expect(cli(['check', '--input', input, '--out', out]).status).toBe(0);
  }
  // The runs did overlap at least once (else this test proves nothing about the lock).
  expect(refused).toBeGreaterThan(0);
});

test('a lock left by a killed run is taken over; a lock of a living run is refused with its pid', () => {
  const input = fleet(1);
  const out = tempDir();
  fs.mkdirSync(path.join(out, '.shoot-runtimes'));
  const dead = spawnSync('true').pid!;
  fs.writeFileSync(path.join(out, '.shoot-runtimes/lock'), JSON.stringify({ host: os.hostname(), pid: dead }));
  const taken = cli(['synth', '--input', input, '--out', out]);
  expect(taken.status).toBe(0);
  expect(fs.existsSync(path.join(out, '.shoot-runtimes/lock'))).toBe(false);

  fs.writeFileSync(path.join(out, '.shoot-runtimes/lock'), JSON.stringify({ host: os.hostname(), pid: process.pid }));
  const held = cli(['synth', '--input', input, '--out', out]);
  expect(held.status).toBe(1);
  expect(held.stderr).toContain(`another shoot-runtimes run holds the output directory (pid ${process.pid} on ${os.hostname()}); wait for it to finish`);
  noStackTrace(held.stderr);
  // The holder's lock is not removed by the run it refused.
  expect(fs.existsSync(path.join(out, '.shoot-runtimes/lock'))).toBe(true);
});

describe('file-system conditions are one line and exit 1', () => {
  const input = () => fleet(1);

  test('--out is a file', () => {
    const file = path.join(tempDir(), 'out');
    fs.writeFileSync(file, 'not a directory\n');
    for (const command of ['synth', 'check']) {
      const result = cli([command, '--input', input(), '--out', file]);
      expect(result.status).toBe(1);
      expect(result.stderr).toBe(`${file}:0: the output directory (--out) is not a directory\nerror: a problem with the file system, not the input; nothing was written\n`);
    }
  });

  test('.shoot-runtimes is a file', () => {
    const out = tempDir();
    fs.writeFileSync(path.join(out, '.shoot-runtimes'), 'x\n');
    const result = cli(['synth', '--input', input(), '--out', out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${path.join(out, '.shoot-runtimes')}:0: must be the tool's state directory, but is a file`);
    noStackTrace(result.stderr);
  });

  // A read-only or full file system needs a mount: a user namespace does it without privileges.
  const canMount = spawnSync('unshare', ['-rm', 'true']).status === 0;
  const inNamespace = (script: string, args: string[]) => spawnSync('unshare', ['-rm', 'sh', '-c', `${script} && exec "$0" "$@"`, process.execPath, BIN, ...args], { encoding: 'utf8' });

  (canMount ? test : test.skip)('a read-only output directory', () => {
    const out = tempDir();
    const result = inNamespace(`mount --bind ${out} ${out} && mount -o remount,bind,ro ${out}`, ['synth', '--input', input(), '--out', out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/:0: (cannot create the state directory: )?read-only file system\n/);
    noStackTrace(result.stderr);
  });

  (canMount ? test : test.skip)('a full output directory', () => {
    const out = tempDir();
    const result = inNamespace(`mount -t tmpfs -o size=48k tmpfs ${out}`, ['synth', '--input', fleet(20), '--out', out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(':0: no space left on the device\nerror: a problem with the file system, not the input; nothing was written\n');
    noStackTrace(result.stderr);
  });
});
