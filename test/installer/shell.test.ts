/** install.sh is POSIX sh: clean under shellcheck, and it behaves the same under dash and busybox. */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { debianToolEnv, shellcheckBinary } from '../support/debian';
import {
  CONFIG_PATH, Host, Shell, INSTALL_SCRIPT, containerd1Config, gvisorEnv, install, makeHost, removeHost,
  runInstaller, snapshot,
} from '../support/host';

const hosts: Host[] = [];
afterAll(() => hosts.forEach(removeHost));

test('shellcheck -s sh reports nothing', () => {
  const out = execFileSync(shellcheckBinary(), ['-s', 'sh', '-S', 'style', INSTALL_SCRIPT], { encoding: 'utf8', env: debianToolEnv() });
  expect(out).toBe('');
});

test('the script starts with #!/bin/sh and set -eu', () => {
  const text = fs.readFileSync(INSTALL_SCRIPT, 'utf8');
  expect(text.startsWith('#!/bin/sh\n')).toBe(true);
  expect(text).toMatch(/^set -eu$/m);
});

test.each<Shell>(['dash', 'busybox'])('%s: install, an idempotent second run, verify', (shell) => {
  const h = makeHost(containerd1Config());
  hosts.push(h);
  const env = gvisorEnv(h);
  install(env, { shell });
  expect(h.read(CONFIG_PATH)).toContain('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc.options]');
  const before = snapshot(h.root);
  install(env, { shell });
  expect(snapshot(h.root)).toEqual(before);
  expect(h.restarts()).toBe(1);
  expect(runInstaller(env, { shell, mode: 'verify' }).status).toBe(0);
});

test('busybox and dash write byte-identical files', () => {
  const outputs = (['dash', 'busybox'] as Shell[]).map((shell) => {
    const h = makeHost(containerd1Config());
    hosts.push(h);
    install(gvisorEnv(h), { shell });
    return h.read(CONFIG_PATH);
  });
  expect(outputs[1]).toBe(outputs[0]);
});

test('busybox: refusals print their one fatal line too', () => {
  const h = makeHost(containerd1Config().replace(
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes]\n',
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes]\n  runsc = { runtime_type = "x" }\n'));
  hosts.push(h);
  const before = h.read(CONFIG_PATH);
  const r = runInstaller(gvisorEnv(h), { shell: 'busybox' });
  expect(r.status).toBe(1);
  expect(r.stderr).toMatch(/^\[FATAL\] runtime=gvisor pool=sandbox cannot register handlers: config.toml: line \d+: handler runsc is defined by a dotted key or an inline table/m);
  expect(h.read(CONFIG_PATH)).toBe(before);
  const bad = runInstaller(gvisorEnv(h, { RUNTIME_TABLES: '[runsc]\nx = "\\q"\n' }), { shell: 'busybox' });
  expect(bad.stderr).toContain('RUNTIME_TABLES: line 2: invalid escape sequence \\q');
});

describe('detect_config_version reads the top-level version key only', () => {
  test.each([
    ['no version key', 'root = "/var/lib/containerd"\n', 1],
    ['version 2', 'version = 2\n', 2],
    ['a quoted key', '"version" = 3\n', 3],
    ['after comments and blank lines', '# comment\n\n  version = 4 # trailing\n', 4],
    ['version inside a table does not count', '[plugins.x]\nversion = 3\n', 1],
    ['a multi-line string before it', 'x = """\n[plugins]\nversion = 4\n"""\nversion = 2\n', 2],
  ])('%s', (_name, config, version) => {
    const h = makeHost(config);
    hosts.push(h);
    // a stand-in for containerd 2.3, which reads every version: only the file's version is under test
    const r = runInstaller(gvisorEnv(h, { CONTAINERD_VERSION_COMMAND: 'echo containerd github.com/containerd/containerd/v2 v2.3.0 stand-in' }));
    expect(r.stderr).toContain(` config=/etc/containerd/config.toml version=${version} `);
  });

  test.each([
    ['a string version', 'version = "2"\n', 'version must be an integer'],
    ['version 5', 'version = 5\n', 'unsupported config version 5'],
  ])('%s is refused', (_name, config, message) => {
    const h = makeHost(config);
    hosts.push(h);
    const r = runInstaller(gvisorEnv(h));
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
  });
});

describe('install.sh finds toml.awk next to itself', () => {
  test('run by a relative path from another directory, and by its bare name from its own', () => {
    const h = makeHost(containerd1Config());
    hosts.push(h);
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ...gvisorEnv(h) };
    const dir = path.dirname(INSTALL_SCRIPT);
    const relative = path.relative(h.dir, INSTALL_SCRIPT);
    const fromElsewhere = spawnSync('/usr/bin/dash', [relative], { cwd: h.dir, env, encoding: 'utf8' });
    expect(fromElsewhere.stderr).toContain('action=restart');
    expect(fromElsewhere.status).toBe(0);
    const bare = spawnSync('/usr/bin/dash', ['install.sh', 'verify'], { cwd: dir, env, encoding: 'utf8' });
    expect(bare.stderr).toContain('action=verify result=ok');
  });

  test('a script without its parser refuses with one line and changes nothing', () => {
    const h = makeHost(containerd1Config());
    hosts.push(h);
    const lone = path.join(h.dir, 'install.sh');
    fs.copyFileSync(INSTALL_SCRIPT, lone);
    const before = snapshot(h.root);
    const r = spawnSync('/usr/bin/dash', [lone], { env: { PATH: process.env.PATH, ...gvisorEnv(h) }, encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`[FATAL] runtime=gvisor pool=sandbox the TOML parser ${h.dir}/toml.awk is missing: toml.awk ships next to install.sh\n`);
    expect(snapshot(h.root)).toEqual(before);
  });
});
