import * as fs from 'fs';
import * as path from 'path';
import { installerEnvironment, INSTALLER_ENV_KEYS } from '../src/installer/environment';
import { installedRecord } from '../src/model/installed-state';
import { GVISOR } from '../src/catalog/gvisor';
import { parseInstalledRuntime } from '../src/output/state';
import { poolSelector } from '../src/model/container-runtime';
import { cli } from './support/cli';
import { readTree, shoot, tempDir, writeFiles } from './support/fixtures';

const ALPHA = shoot('garden-dev', 'alpha', [{ name: 'sandbox', runtimes: [{ type: 'gvisor' }] }, { name: 'system' }]);
const STATE = '.shoot-runtimes/installed/garden-dev/alpha.json';

/** A garden with one shoot, synthesized once into `out`. */
function rendered(): { input: string; out: string } {
  const input = writeFiles({ 'alpha.yaml': ALPHA });
  const out = tempDir();
  const result = cli(['synth', '--input', input, '--out', out]);
  if (result.status !== 0) throw new Error(result.stderr);
  return { input, out };
}

function editJson(file: string, edit: (value: any) => void): void {
  const value = JSON.parse(fs.readFileSync(file, 'utf8'));
  edit(value);
  fs.writeFileSync(file, JSON.stringify(value, null, 2));
}

const noStackTrace = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at /);

test('the issue\'s exploit: a state entry with an empty selector, binaryPath /etc, files passwd and shadow and a restart command is refused', () => {
  const { input, out } = rendered();
  editJson(path.join(out, STATE), (state) => state.installed.push({
    name: 'evil-sandbox', type: 'evil', pool: 'sandbox', binaryPath: '/etc', nodeSelector: {},
    env: {
      BINARY_PATH: '/etc', POOL_NAME: 'sandbox', RUNTIME_NAME: 'evil', RUNTIME_FILES: 'passwd\nshadow',
      RUNTIME_HANDLERS: 'evil', RUNTIME_TABLES: '[evil]\nruntime_type = "io.containerd.runc.v2"\n',
      CONTAINERD_RESTART_COMMAND: 'rm -f /host/etc/passwd /host/etc/shadow',
    },
  }));
  const before = readTree(out);
  for (const command of ['synth', 'check']) {
    const result = cli([command, '--input', input, '--out', out]);
    expect(result.status).toBe(1);
    noStackTrace(result.stderr);
    const file = path.join(out, STATE);
    expect(result.stderr).toMatch(new RegExp(`${file}:\\d+: installed\\[1\\]\\.nodeSelector: must select the pool's nodes`));
    expect(result.stderr).toContain('installed[1].env.CONTAINERD_RESTART_COMMAND: is not a variable shoot-runtimes sets');
    expect(result.stderr).toContain('problem(s) in the output directory\'s state (.shoot-runtimes/); nothing was written');
  }
  // Nothing rendered from it: the tree is as it was, and no uninstaller for "evil" exists.
  expect(readTree(out)).toEqual(before);
  expect(Object.keys(readTree(out)).some((p) => p.includes('evil'))).toBe(false);
});

test('with --keep-going a shoot whose state is refused keeps its last output; nothing is rendered from the record', () => {
  const { input, out } = rendered();
  editJson(path.join(out, STATE), (state) => { state.installed[0].binaryPath = '/.'; state.installed[0].env.BINARY_PATH = '/.'; });
  const before = readTree(out);
  const result = cli(['synth', '--input', input, '--out', out, '--keep-going']);
  expect(result.status).toBe(3);
  expect(result.stderr).toContain('installed[0].binaryPath: binaryPath "/." must be an absolute, normalized path');
  expect(result.stderr).toContain('error: 1 shoot(s) kept their last output because of the problems above: garden-dev/alpha');
  expect(readTree(out)).toEqual(before);
});

describe('a state entry is what the tool could have written', () => {
  const runtime = {
    name: 'gvisor-sandbox', type: 'gvisor', shoot: { projectNamespace: 'garden-dev', name: 'alpha' }, pool: 'sandbox',
    binaryPath: '/var/bin/containerruntimes', nodeSelector: poolSelector('sandbox'), taints: [], origin: { file: 'x', line: 1 },
  };
  const good = JSON.parse(JSON.stringify(installedRecord(runtime, installerEnvironment(runtime, GVISOR, '[runsc_config]\n'))));
  const problems = (entry: unknown) => {
    const found: string[] = [];
    parseInstalledRuntime(entry, (field, message) => found.push(`${field}: ${message}`));
    return found;
  };

  test('the tool\'s own record is accepted, and renders only known variables', () => {
    expect(problems(good)).toEqual([]);
    expect(Object.keys(good.env).every((k) => (INSTALLER_ENV_KEYS as readonly string[]).includes(k))).toBe(true);
  });

  test.each([
    ['a restart command', (e: any) => { e.env.CONTAINERD_RESTART_COMMAND = 'reboot'; }, 'env.CONTAINERD_RESTART_COMMAND: is not a variable'],
    ['a config check command', (e: any) => { e.env.CONTAINERD_CONFIG_CHECK_COMMAND = 'true'; }, 'env.CONTAINERD_CONFIG_CHECK_COMMAND: is not a variable'],
    ['HOST_ROOT', (e: any) => { e.env.HOST_ROOT = '/'; }, 'env.HOST_ROOT: is not a variable'],
    ['an empty selector', (e: any) => { e.nodeSelector = {}; }, 'nodeSelector: must select the pool\'s nodes'],
    ['another pool\'s selector', (e: any) => { e.nodeSelector = poolSelector('system'); }, 'nodeSelector: must select the pool\'s nodes'],
    ['binaryPath /', (e: any) => { e.binaryPath = '/'; e.env.BINARY_PATH = '/'; }, 'binaryPath: binaryPath "/" is the root or an ancestor of system directories'],
    ['binaryPath with ..', (e: any) => { e.binaryPath = '/var/../etc'; e.env.BINARY_PATH = '/var/../etc'; }, 'binaryPath: binaryPath "/var/../etc"'],
    ['an env binaryPath other than the entry\'s', (e: any) => { e.env.BINARY_PATH = '/etc'; }, 'env.BINARY_PATH: "/etc" is /etc, a system directory'],
    ['a file path', (e: any) => { e.env.RUNTIME_FILES = '../../etc/passwd'; }, 'env.RUNTIME_FILES: file name "../../etc/passwd" must be letters, digits'],
    ['runc as a file', (e: any) => { e.env.RUNTIME_FILES = 'runc'; }, 'env.RUNTIME_FILES: file name "runc" would replace containerd\'s own binary'],
    ['runc as a handler', (e: any) => { e.env.RUNTIME_HANDLERS = 'runc'; }, 'env.RUNTIME_HANDLERS: handler "runc" is the node\'s default runtime'],
    ['containerd\'s config as the runtime config', (e: any) => { e.env.RUNTIME_CONFIG_PATH = '/etc/containerd/config.toml'; }, 'env.RUNTIME_CONFIG_PATH: "/etc/containerd/config.toml" is containerd\'s own config.toml'],
    ['a pool that is not a DNS label', (e: any) => { e.pool = 'Sand Box'; }, 'pool: worker pool name "Sand Box" must be a DNS label'],
    ['an unknown field', (e: any) => { e.hostPID = true; }, 'hostPID: unknown field'],
    ['a taint of the wrong form', (e: any) => { e.taints = [{ key: 'a b', effect: 'NoSchedule' }]; }, 'taints[0].key: must be a taint key'],
  ])('%s is refused', (_, edit, expected) => {
    const entry = JSON.parse(JSON.stringify(good));
    edit(entry);
    expect(problems(entry).join('\n')).toContain(expected);
  });
});

describe('state files of the wrong form are one line each, never a stack trace', () => {
  test.each([
    ['owned.json', '.shoot-runtimes/owned.json', '{', 'owned.json:0: is not valid JSON; it belongs to shoot-runtimes and is committed with the output: restore it from version control'],
    ['owned.json of the wrong shape', '.shoot-runtimes/owned.json', '{"files": []}', 'owned.json:1: files: must be a map of output paths to sha256 hashes'],
    ['the installed state of the wrong shape', STATE, '[1]', 'alpha.json:0: must be a JSON object with "installed" and "uninstalling" lists'],
    ['uninstall-runs.json', '.shoot-runtimes/uninstall-runs.json', '{"garden-dev/alpha/sandbox/gvisor": "many"}', 'must be a whole number of runs'],
    ['the state directory\'s owned.json as a directory', '.shoot-runtimes/owned.json/', '', 'owned.json is a directory, not a file'],
  ])('%s', (_, rel, text, expected) => {
    const { input, out } = rendered();
    fs.rmSync(path.join(out, rel.replace(/\/$/, '')), { recursive: true, force: true });
    if (rel.endsWith('/')) fs.mkdirSync(path.join(out, rel));
    else fs.writeFileSync(path.join(out, rel), text);
    const before = readTree(out);
    const result = cli(['synth', '--input', input, '--out', out]);
    expect(result.status).toBe(1);
    noStackTrace(result.stderr);
    expect(result.stderr).toContain(expected);
    expect(readTree(out)).toEqual(before);
  });

  test('a corrupt journal says how to recover from a killed run, not "restore it from version control"', () => {
    const { input, out } = rendered();
    fs.writeFileSync(path.join(out, '.shoot-runtimes/journal.json'), '{"writes": ');
    const result = cli(['synth', '--input', input, '--out', out]);
    expect(result.status).toBe(1);
    noStackTrace(result.stderr);
    expect(result.stderr).toContain('journal.json:0: is not valid JSON; it is written only by a synth that did not finish');
    expect(result.stderr).not.toContain('version control');
    fs.rmSync(path.join(out, '.shoot-runtimes/journal.json'));
    expect(cli(['synth', '--input', input, '--out', out]).status).toBe(0);
  });
});

describe('the output tree is a boundary', () => {
  test('owned.json or a journal naming a path outside the output directory is refused; the file outside stays', () => {
    for (const [rel, edit] of [
      ['.shoot-runtimes/owned.json', (v: any) => { v.files['../victim.txt'] = v.files[Object.keys(v.files)[0]]; }],
      ['.shoot-runtimes/journal.json', (v: any) => { v.writes = {}; v.removes = ['../victim.txt']; }],
      ['.shoot-runtimes/journal.json', (v: any) => { v.writes = { '/tmp/victim.txt': '0'.repeat(64) }; v.removes = []; }],
    ] as const) {
      const { input, out } = rendered();
      const victim = path.join(path.dirname(out), 'victim.txt');
      fs.writeFileSync(victim, 'keep me\n');
      const file = path.join(out, rel);
      if (!fs.existsSync(file)) fs.writeFileSync(file, '{}');
      editJson(file, edit);
      const result = cli(['synth', '--input', input, '--out', out]);
      expect(result.status).toBe(1);
      noStackTrace(result.stderr);
      expect(result.stderr).toContain('is not a path shoot-runtimes writes');
      expect(fs.readFileSync(victim, 'utf8')).toBe('keep me\n');
      fs.rmSync(victim);
    }
  });

  test('a journal entry naming a user\'s file inside the tree does not delete it: its bytes are not what the tool wrote', () => {
    const { input, out } = rendered();
    const user = 'shoots/garden-dev/alpha/mine.yaml';
    fs.writeFileSync(path.join(out, user), 'kind: Mine\n');
    fs.writeFileSync(path.join(out, '.shoot-runtimes/journal.json'), JSON.stringify({ writes: { [user]: 'f'.repeat(64) }, removes: [] }));
    const result = cli(['synth', '--input', input, '--out', out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${path.join(out, user)}:0: changed since shoot-runtimes wrote it`);
    expect(fs.readFileSync(path.join(out, user), 'utf8')).toBe('kind: Mine\n');
    const check = cli(['check', '--input', input, '--out', out]);
    expect(check.stdout).toContain(`conflict: ${user} (changed since shoot-runtimes wrote it`);
  });

  test('a file the tool wrote and someone changed is a conflict, not silently deleted', () => {
    const { out } = rendered();
    const daemonSet = path.join(out, 'shoots/garden-dev/alpha/daemonset-gvisor-sandbox.yaml');
    fs.appendFileSync(daemonSet, '# reviewed\n');
    const input = writeFiles({ 'alpha.yaml': shoot('garden-dev', 'alpha', [{ name: 'system' }]) });
    const result = cli(['synth', '--input', input, '--out', out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${daemonSet}:0: changed since shoot-runtimes wrote it, and synth would remove it`);
    expect(fs.readFileSync(daemonSet, 'utf8')).toContain('# reviewed');
  });

  test('a symlinked shoot directory is a conflict naming it: nothing is written or deleted through it', () => {
    const { input, out } = rendered();
    const elsewhere = writeFiles({ 'kustomization.yaml': 'users: own\n', 'daemonset-gvisor-sandbox.yaml': 'user: file\n' });
    const dir = path.join(out, 'shoots/garden-dev/alpha');
    fs.rmSync(dir, { recursive: true });
    fs.symlinkSync(elsewhere, dir);
    const before = readTree(elsewhere);
    const result = cli(['synth', '--input', input, '--out', out]);
    expect(result.status).toBe(1);
    noStackTrace(result.stderr);
    expect(result.stderr).toContain(`${dir}:0: is a symbolic link to ${elsewhere}, outside the output directory; shoot-runtimes does not follow links in its output`);
    // ... and when the shoot leaves the inputs, its files behind the link are not removed either.
    const gone = cli(['synth', '--input', writeFiles({ 'b.yaml': shoot('garden-dev', 'beta', []) }), '--out', out, '--allow-removal']);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toContain('is a symbolic link');
    expect(readTree(elsewhere)).toEqual(before);
    const check = cli(['check', '--input', input, '--out', out]);
    expect(check.stdout).toContain('conflict: shoots/garden-dev/alpha (is a symbolic link to');
  });

  test('check reports an output file that is a symlink leaving the tree, even with the right bytes', () => {
    const { input, out } = rendered();
    const rel = 'shoots/garden-dev/alpha/runtimeclass-gvisor.yaml';
    const outside = path.join(tempDir(), 'copy.yaml');
    fs.copyFileSync(path.join(out, rel), outside);
    fs.rmSync(path.join(out, rel));
    fs.symlinkSync(outside, path.join(out, rel));
    const check = cli(['check', '--input', input, '--out', out]);
    expect(check.status).toBe(1);
    expect(check.stdout).toContain(`conflict: ${rel} (is a symbolic link to ${outside}, outside the output directory`);
  });
});
