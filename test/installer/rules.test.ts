/**
 * Issue 13's installer side: the host directory rule and the basename rule (shared with synth,
 * see docs/installer.md), a parser linear in the size of config.toml, and no temp file left
 * behind by a killed run after the next one.
 */
import * as fs from 'fs';
import {
  BINARY_PATH, CONFIG_PATH, Host, containerd1Config, gvisorEnv, hostsRemovedAfterAll, install, runInstaller, snapshot,
} from '../support/host';
import { hostDirectoryProblem, runtimeFileNameProblem } from '../../src/validate/host-paths';

const host = hostsRemovedAfterAll();

/** Runs an install that must be refused before anything changes: one [FATAL] line, the root untouched. */
function expectRefused(h: Host, env: Record<string, string>, message: RegExp): void {
  const before = snapshot(h.root);
  const r = runInstaller(env);
  expect(r.status).toBe(1);
  expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual([expect.stringMatching(message)]);
  expect(snapshot(h.root)).toEqual(before);
  expect(h.restarts()).toBe(0);
}

// One list for both sides: install.sh (below) and synth (src/validate/host-paths.ts) must agree on each.
const REFUSED_DIRS = [
  '/', '/.', '//', '/..', '/etc', '/etc/containerd', '/etc/x', '/usr', '/usr/bin', '/usr/local/bin', '/bin', '/sbin/x',
  '/lib', '/lib64', '/libx32/x', '/boot', '/proc/1', '/sys/fs', '/dev/shm', '/run', '/var', '/var/lib', '/var/lib/kubelet',
  '/var/bin/', '/var//bin', '/var/./bin', '/var/bin/.', '/var/bin/..', '/var/bin/a+b', '/var/bin/a:b', '/var/bin/a b', 'var/bin',
];
const ACCEPTED_DIRS = ['/var/bin/containerruntimes', '/opt/runtimes', '/run/runtimes', '/variable/x', '/etcetera', '/home/x/lib'];
const SHADOWING_NAMES = ['runc', 'containerd', 'ctr', 'containerd-shim', 'containerd-shim-runc-v1', 'containerd-shim-runc-v2', 'containerd-shim-runc-x'];
const ALLOWED_NAMES = ['crun', 'runc-e2e', 'containerd-shim-runsc-v1', 'runsc'];

test('synth refuses exactly the host directories and file names install.sh refuses', () => {
  expect(REFUSED_DIRS.filter((d) => hostDirectoryProblem(d) === undefined)).toEqual([]);
  expect(ACCEPTED_DIRS.filter((d) => hostDirectoryProblem(d) !== undefined)).toEqual([]);
  expect(SHADOWING_NAMES.filter((n) => runtimeFileNameProblem(n) === undefined)).toEqual([]);
  expect(ALLOWED_NAMES.filter((n) => runtimeFileNameProblem(n) !== undefined)).toEqual([]);
});

describe('the host directory rule', () => {
  test.each(REFUSED_DIRS)('BINARY_PATH=%j is refused with one line and no change', (binaryPath) => {
    const h = host(containerd1Config());
    expectRefused(h, gvisorEnv(h, { BINARY_PATH: binaryPath }), /^\[FATAL\] runtime=gvisor pool=sandbox invalid BINARY_PATH '[^']*': a host directory the installer writes must be absolute and normalized/);
  });

  test.each(ACCEPTED_DIRS)('BINARY_PATH=%j is accepted', (binaryPath) => {
    const h = host(containerd1Config());
    install(gvisorEnv(h, { BINARY_PATH: binaryPath }));
    expect(h.read(`${binaryPath}/runsc`)).toBe('runsc binary v1\n');
  });

  test('the lock file\'s directory follows the rule too', () => {
    const h = host(containerd1Config());
    expectRefused(h, gvisorEnv(h, { LOCK_FILE: '/etc/shoot-runtimes.lock' }), /invalid LOCK_FILE's directory '\/etc'/);
  });
});

describe('the basename rule', () => {
  test.each(SHADOWING_NAMES)('a runtime file named %s is refused', (name) => {
    const h = host(containerd1Config());
    fs.writeFileSync(`${h.artifacts}/${name}`, 'shadow\n');
    expectRefused(h, gvisorEnv(h, { RUNTIME_FILES: `runsc\n${name}` }), new RegExp(`file name ${name} in RUNTIME_FILES would shadow containerd's own binaries .* in /var/bin/containerruntimes; refusing$`));
  });

  test.each(ALLOWED_NAMES)('%s is allowed', (name) => {
    const h = host(containerd1Config());
    fs.writeFileSync(`${h.artifacts}/${name}`, 'ok\n');
    install(gvisorEnv(h, { RUNTIME_FILES: name }));
    expect(h.exists(`${BINARY_PATH}/${name}`)).toBe(true);
  });
});

test('a killed install leaves no hidden temp file behind after its next run', () => {
  const h = host(containerd1Config());
  // SIGKILL from inside the restart: the backups kept for a rollback are left as hidden temp files
  const r = runInstaller(gvisorEnv(h, { CONTAINERD_RESTART_COMMAND: 'kill -9 $PPID' }));
  expect(r.status).toBeNull();
  const hidden = (): string[] => Object.keys(snapshot(h.root)).filter((p) => /(^|\/)\.[^/]*\.tmp\./.test(p));
  expect(hidden()).not.toEqual([]);
  const again = install(gvisorEnv(h));
  expect(again.stderr).toContain('reason=temp-file-of-a-killed-run');
  expect(hidden()).toEqual([]);
  expect(h.read(CONFIG_PATH)).toContain('runtimes.runsc]');
});

describe('the parser is linear in the size of config.toml', () => {
  test('a 1 MB config.toml with a long string value parses in seconds under busybox', () => {
    const h = host(containerd1Config());
    const base = h.read(CONFIG_PATH);
    const value = 'x'.repeat(1024 * 1024 - base.length - 64).replace(/x{100}/g, (m) => `${m.slice(1)}\\"`);
    h.write(CONFIG_PATH, `${base}\n[notes]\n  long = "${value}"\n`);
    expect(fs.statSync(h.path(CONFIG_PATH)).size).toBeGreaterThan(1024 * 1024 - 100);
    const started = Date.now();
    install(gvisorEnv(h), { shell: 'busybox' });
    const seconds = (Date.now() - started) / 1000;
    // eslint-disable-next-line no-console
    console.log(`install on a ${fs.statSync(h.path(CONFIG_PATH)).size}-byte config.toml under busybox: ${seconds.toFixed(1)} s`);
    expect(seconds).toBeLessThan(20);
    expect(h.read(CONFIG_PATH)).toContain(value);
  }, 120_000);
});
