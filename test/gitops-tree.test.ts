import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { BIN, cli } from './support/cli';
import { readTree, shoot, tempDir, writeFiles } from './support/fixtures';

const OLD = {
  'a.yaml': shoot('garden-dev', 'alpha', [{ name: 'sandbox', runtimes: [{ type: 'gvisor' }] }, { name: 'vm', runtimes: [{ type: 'kata' }] }]),
  'b.yaml': shoot('garden-dev', 'gone', [{ name: 'p', runtimes: [{ type: 'gvisor' }] }]),
};
// Pool vm leaves alpha (its nodes go with it: no uninstall), shoot gone leaves, shoot new arrives.
const NEW = {
  'a.yaml': shoot('garden-dev', 'alpha', [{ name: 'sandbox', runtimes: [{ type: 'gvisor', providerConfig: { configFlags: { debug: 'true' } } }] }]),
  'c.yaml': shoot('garden-ml', 'new', [{ name: 'p', runtimes: [{ type: 'kata' }] }]),
};
const USER_FILE = 'shoots/garden-dev/gone/README.md';

function synth(input: string, out: string, ...flags: string[]) {
  return cli(['synth', '--input', input, '--out', out, ...flags]);
}

/** The tree synth writes for `files` into an empty directory. */
function fresh(files: Record<string, string>): Record<string, string> {
  const out = tempDir();
  expect(synth(writeFiles(files), out).status).toBe(0);
  return readTree(out);
}

test('check passes on a fresh tree and reports tampered, missing and extra files, ignoring a user\'s own file', () => {
  const input = writeFiles(OLD);
  const out = tempDir();
  expect(synth(input, out).status).toBe(0);
  fs.writeFileSync(path.join(out, 'shoots/garden-dev/alpha/my-notes.yaml'), 'kind: Note\n');
  const clean = cli(['check', '--input', input, '--out', out]);
  expect(clean.stderr).toContain('is up to date');
  expect(clean.status).toBe(0);

  const rc = path.join(out, 'shoots/garden-dev/alpha/runtimeclass-gvisor-sandbox.yaml');
  fs.writeFileSync(rc, fs.readFileSync(rc, 'utf8').replace('handler: runsc', 'handler: runc'));
  fs.rmSync(path.join(out, 'shoots/garden-dev/gone/kustomization.yaml'));
  const before = readTree(out);
  const result = cli(['check', '--input', writeFiles(NEW), '--out', out]);
  expect(result.status).toBe(1);
  const lines = result.stdout.split('\n');
  expect(lines).toContain('missing: shoots/garden-ml/new/kustomization.yaml');
  expect(lines).toContain('stale: shoots/garden-dev/alpha/runtimeclass-gvisor-sandbox.yaml');
  expect(lines).toContain('    - handler: runc');
  expect(lines).toContain('    + handler: runsc');
  expect(lines).toContain('extra: shoots/garden-dev/gone/daemonset-gvisor-p.yaml (no longer produced)');
  expect(lines).toContain('extra: shoots/garden-dev/alpha/daemonset-kata-vm.yaml (no longer produced)');
  expect(result.stdout).not.toContain('my-notes.yaml');
  expect(readTree(out)).toEqual(before);
});

test('synth removes what it no longer produces (a shoot that is gone) and never a file it did not write', () => {
  const out = tempDir();
  expect(synth(writeFiles(OLD), out).status).toBe(0);
  fs.writeFileSync(path.join(out, USER_FILE), 'ours, not the tool\'s\n');
  const result = synth(writeFiles(NEW), out, '--allow-removal');
  expect(result.status).toBe(0);
  expect(result.stderr).toMatch(/\d+ files written, \d+ unchanged, 11 removed/);
  const tree = readTree(out);
  expect(tree[USER_FILE]).toBe('ours, not the tool\'s\n');
  expect(Object.keys(tree).filter((p) => p.startsWith('shoots/garden-dev/gone/'))).toEqual([USER_FILE]);
  delete tree[USER_FILE];
  expect(tree).toEqual(fresh(NEW));
});

test('a directory emptied of the tool\'s files is removed', () => {
  const out = tempDir();
  expect(synth(writeFiles(OLD), out).status).toBe(0);
  expect(synth(writeFiles(NEW), out, '--allow-removal').status).toBe(0);
  expect(fs.existsSync(path.join(out, 'shoots/garden-dev/gone'))).toBe(false);
});

test('synth refuses to overwrite a file it did not write, and writes nothing', () => {
  const out = tempDir();
  fs.mkdirSync(path.join(out, 'shoots/garden-dev/alpha'), { recursive: true });
  fs.writeFileSync(path.join(out, 'shoots/garden-dev/alpha/kustomization.yaml'), 'hand-written\n');
  const result = synth(writeFiles(OLD), out);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('kustomization.yaml:0: exists but was not written by shoot-runtimes');
  expect(result.stderr).toContain('error: 1 path(s) in the output directory are in the way (not written by shoot-runtimes, changed since it wrote them, or symbolic links); nothing was written');
  expect(readTree(out)).toEqual({ 'shoots/garden-dev/alpha/kustomization.yaml': 'hand-written\n' });
});

test('unchanged files keep their bytes and are not rewritten', () => {
  const input = writeFiles(OLD);
  const out = tempDir();
  expect(synth(input, out).status).toBe(0);
  const file = path.join(out, 'shoots/garden-dev/alpha/runtimeclass-gvisor.yaml');
  const past = new Date('2020-01-01T00:00:00Z');
  fs.utimesSync(file, past, past);
  expect(synth(input, out).stderr).toContain('0 files written');
  expect(fs.statSync(file).mtime.getTime()).toBe(past.getTime());
});

test('invalid input leaves the output directory exactly as it was', () => {
  const out = tempDir();
  expect(synth(writeFiles(OLD), out).status).toBe(0);
  const before = readTree(out);
  const bad = { ...NEW, 'bad.yaml': shoot('garden-dev', 'x', [{ name: 'p', runtimes: [{ type: 'nope' }] }]) };
  expect(synth(writeFiles(bad), out).status).toBe(1);
  expect(readTree(out)).toEqual(before);
});

test('a synth killed at any point is reported by check and completed by the next synth', () => {
  const smallOld = { 'a.yaml': shoot('garden-dev', 'alpha', [{ name: 's', runtimes: [{ type: 'gvisor' }] }]), 'b.yaml': OLD['b.yaml'] };
  const smallNew = { 'a.yaml': shoot('garden-dev', 'alpha', [{ name: 's', runtimes: [{ type: 'gvisor', providerConfig: { configFlags: { debug: 'true' } } }] }]) };
  const newInput = writeFiles(smallNew);
  const expected = fresh(smallNew);
  const template = tempDir();
  expect(synth(writeFiles(smallOld), template).status).toBe(0);
  fs.writeFileSync(path.join(template, USER_FILE), 'mine\n');
  let killedMidway = 0;
  for (let killAt = 1; ; killAt++) {
    const out = tempDir();
    fs.cpSync(template, out, { recursive: true });
    const killed = spawnSync(process.execPath, [BIN, 'synth', '--input', newInput, '--out', out, '--allow-removal'], {
      env: { ...process.env, SHOOT_RUNTIMES_KILL_AT: String(killAt) }, encoding: 'utf8',
    });
    if (killed.signal !== 'SIGKILL') {
      // The run made fewer changes than killAt: every point has been tried.
      expect(killed.status).toBe(0);
      break;
    }
    killedMidway++;
    const check = cli(['check', '--input', newInput, '--out', out]);
    expect(check.status).toBe(1);
    if (fs.existsSync(path.join(out, '.shoot-runtimes/journal.json'))) {
      expect(check.stdout).toContain('interrupted: a synth was stopped midway');
    } else {
      // Killed while staging: nothing a reader sees has changed yet (the stale lock is taken over by the next run).
      const visible = Object.fromEntries(Object.entries(readTree(out)).filter(([p]) => !p.startsWith('.shoot-runtimes/staging/') && p !== '.shoot-runtimes/lock'));
      expect(visible).toEqual(readTree(template));
    }
    expect(synth(newInput, out, '--allow-removal').status).toBe(0);
    const tree = readTree(out);
    expect(tree[USER_FILE]).toBe('mine\n');
    delete tree[USER_FILE];
    expect(tree).toEqual(expected);
  }
  // journal, staged files, renames, removals, record, journal removal
  expect(killedMidway).toBeGreaterThan(10);
});
