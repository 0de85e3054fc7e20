/**
 * `install.sh uninstall` fails closed (config.toml byte-identical or restored, one [FATAL] line),
 * refuses what it cannot edit safely and hostile values; `verify-removed` (the uninstall pod's
 * probe) is read-only and names what remains; both run under dash and busybox.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  BINARY_PATH, CONFIG_PATH, containerd1Config, containerdDump, criRuntimes, failingToolPath, gvisorEnv, Host, hostsRemovedAfterAll, install, kataEnv, runInstaller, Shell, snapshot, uninstall,
} from '../support/host';

const host = hostsRemovedAfterAll();

const V3 = (): string => fs.readFileSync(path.join(__dirname, 'fixtures', 'config-v3.toml'), 'utf8');
const MARKER = '/etc/containerd/shoot-runtimes.added-import';
const DROPIN = '/etc/containerd/conf.d/gvisor.toml';

/** The single [FATAL] line of a failed run. */
function fatalLine(stderr: string): string {
  const lines = stderr.split('\n').filter((l) => l.startsWith('[FATAL]'));
  expect(lines).toHaveLength(1);
  return lines[0];
}

/** Runs an uninstall that must fail before anything changed: the whole host root stays as it was. */
function expectRefused(h: Host, env: Record<string, string>, message: string | RegExp): void {
  const before = snapshot(h.path('/etc'));
  const restarts = h.restarts();
  const r = runInstaller(env, { mode: 'uninstall' });
  expect(r.status).toBe(1);
  expect(fatalLine(r.stderr)).toMatch(message);
  expect(snapshot(h.path('/etc'))).toEqual(before);
  expect(h.restarts()).toBe(restarts);
}

describe('failures midway leave config.toml byte-identical or restored', () => {
  test('version 2: a failing restart restores config.toml and runsc.toml, restarts with them, keeps the files', () => {
    const h = host(containerd1Config());
    install(gvisorEnv(h));
    const installed = h.read(CONFIG_PATH);
    const env = gvisorEnv(h, { CONTAINERD_RESTART_COMMAND: 'echo restart >>"$RESTART_LOG"; [ "$(wc -l <"$RESTART_LOG")" -gt 2 ]' });
    const r = runInstaller(env, { mode: 'uninstall' });
    expect(r.status).toBe(1);
    expect(fatalLine(r.stderr)).toBe('[FATAL] runtime=gvisor pool=sandbox restarting containerd failed (reason=runtime-config-removed,config-changed): CONTAINERD_RESTART_COMMAND exited 1; restored the previous configuration and restarted containerd with it');
    expect(h.read(CONFIG_PATH)).toBe(installed);
    expect(h.exists('/etc/containerd/runsc.toml')).toBe(true);
    for (const name of ['runsc', 'containerd-shim-runsc-v1']) expect(h.exists(`${BINARY_PATH}/${name}`)).toBe(true);
    expect(h.restarts()).toBe(3);
    expect(runInstaller(gvisorEnv(h), { mode: 'verify' }).stderr).toContain('a containerd restart is pending');
    expect(fs.readdirSync(h.path('/etc/containerd')).sort()).toEqual(['config.toml', 'runsc.toml']);

    // the next uninstall with a working restart finishes the job
    uninstall(gvisorEnv(h));
    expect(criRuntimes(containerdDump(h.path(CONFIG_PATH))).runsc).toBeUndefined();
    expect(runInstaller(gvisorEnv(h), { mode: 'verify-removed' }).status).toBe(0);
  });

  test('version 3: a failing restart puts back the drop-in, the import and its record', () => {
    const h = host(V3());
    install(gvisorEnv(h));
    const before = snapshot(h.path('/etc/containerd'));
    const r = runInstaller(gvisorEnv(h, { CONTAINERD_RESTART_COMMAND: 'exit 3' }), { mode: 'uninstall' });
    expect(r.status).toBe(1);
    expect(fatalLine(r.stderr)).toContain('restarting containerd failed (reason=dropin-removed,runtime-config-removed,config-changed): CONTAINERD_RESTART_COMMAND exited 3;');
    const content = (s: Record<string, string>): Record<string, string> =>
      Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.replace(/ ino=\d+ mtime=[\d.]+/, '')]));
    expect(content(snapshot(h.path('/etc/containerd')))).toEqual(content(before));
    expect(h.read(MARKER)).toContain('how=line');
  });

  test('version 3: a file that cannot be moved (read-only) after the drop-in went: drop-in back, config.toml untouched', () => {
    const h = host(V3());
    install(gvisorEnv(h));
    const config = fs.readFileSync(h.path(CONFIG_PATH));
    const dropin = h.read(DROPIN);
    const r = runInstaller(gvisorEnv(h, { PATH: failingToolPath(h, 'mv', 'runsc.toml') }), { mode: 'uninstall' });
    expect(r.status).toBe(1);
    expect(fatalLine(r.stderr)).toBe('[FATAL] runtime=gvisor pool=sandbox cannot remove /etc/containerd/runsc.toml');
    expect(fs.readFileSync(h.path(CONFIG_PATH))).toEqual(config);
    expect(h.read(DROPIN)).toBe(dropin);
    expect(h.exists('/etc/containerd/runsc.toml')).toBe(true);
    expect(h.restarts()).toBe(1);
    expect(fs.readdirSync(h.path('/etc/containerd/conf.d'))).toEqual(['gvisor.toml']);
  });

  test('a binary path it cannot write to is found before anything changes', () => {
    const h = host(containerd1Config());
    install(gvisorEnv(h));
    expectRefused(h, gvisorEnv(h, { PATH: failingToolPath(h, 'mktemp', BINARY_PATH) }),
      'cannot remove files from /var/bin/containerruntimes (cannot write to it); nothing changed');
    expect(h.exists(`${BINARY_PATH}/runsc`)).toBe(true);
  });

  test('a file that cannot be removed after the restart: one fatal line; the next run removes it', () => {
    const h = host(containerd1Config());
    install(gvisorEnv(h));
    const r = runInstaller(gvisorEnv(h, { PATH: failingToolPath(h, 'rm', `${BINARY_PATH}/runsc`) }), { mode: 'uninstall' });
    expect(r.status).toBe(1);
    expect(fatalLine(r.stderr)).toBe('[FATAL] runtime=gvisor pool=sandbox cannot remove /var/bin/containerruntimes/runsc');
    // containerd was restarted without the handler: that part is done and stays done
    expect(criRuntimes(containerdDump(h.path(CONFIG_PATH))).runsc).toBeUndefined();
    expect(runInstaller(gvisorEnv(h), { mode: 'verify-removed' }).stderr).toContain('file /var/bin/containerruntimes/runsc still exists');
    uninstall(gvisorEnv(h));
    expect(h.exists(`${BINARY_PATH}/runsc`)).toBe(false);
    expect(h.restarts()).toBe(2);
  });

  test('killed between writing and restarting: the next run restarts and finishes', () => {
    const h = host(containerd1Config());
    install(gvisorEnv(h));
    const r = runInstaller(gvisorEnv(h, { CONTAINERD_RESTART_COMMAND: 'kill -9 $PPID' }), { mode: 'uninstall' });
    expect(r.status).toBeNull();
    expect(runInstaller(gvisorEnv(h), { mode: 'verify-removed' }).stderr).toContain('a containerd restart is pending');
    const again = uninstall(gvisorEnv(h));
    expect(again.stderr).toContain('action=restart reason=pending-restart');
    expect(h.restarts()).toBe(2);
    expect(runInstaller(gvisorEnv(h), { mode: 'verify-removed' }).status).toBe(0);
  });

  test('the config check seam: a rejected candidate is never swapped in', () => {
    const h = host(containerd1Config());
    install(gvisorEnv(h));
    expectRefused(h, gvisorEnv(h, { CONTAINERD_CONFIG_CHECK_COMMAND: 'grep -q "no such thing" "$1"' }),
      'CONTAINERD_CONFIG_CHECK_COMMAND rejected the candidate');
  });

  test('no config.toml: fail clearly, remove nothing', () => {
    const h = host(containerd1Config());
    install(gvisorEnv(h));
    fs.rmSync(h.path(CONFIG_PATH));
    expectRefused(h, gvisorEnv(h), 'containerd config /etc/containerd/config.toml does not exist');
    expect(h.exists(`${BINARY_PATH}/runsc`)).toBe(true);
  });
});

describe('forms it cannot edit safely and hostile values are refused, untouched', () => {
  const RUNTIMES_HEADER = '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes]\n';
  test.each([
    ['a dotted key under the runtimes table', `${RUNTIMES_HEADER}  runsc.runtime_type = "io.containerd.runsc.v1"\n`, /handler runsc is defined by a dotted key or an inline table/],
    ['an inline table under the runtimes table', `${RUNTIMES_HEADER}  runsc = { runtime_type = "io.containerd.runsc.v1" }\n`, /handler runsc is defined by a dotted key or an inline table/],
    ['an array of tables', `${RUNTIMES_HEADER}\n[[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]]\n`, /array of tables/],
  ])('%s', (_name, replacement, message) => {
    const h = host(containerd1Config().replace(RUNTIMES_HEADER, replacement));
    install(kataEnv(h));
    h.write(`${BINARY_PATH}/runsc`, 'x');
    expectRefused(h, gvisorEnv(h), message);
    expect(h.exists(`${BINARY_PATH}/runsc`)).toBe(true);
  });

  test('version 3: an import it would have to split across lines is refused', () => {
    const h = host(V3().replace('version = 3\n', 'version = 3\nimports = ["/etc/other/*.toml",\n  "/etc/containerd/conf.d/*.toml"\n  , "/etc/x/*.toml"]\n'));
    h.write(MARKER, 'import=/etc/containerd/conf.d/*.toml\nhow=after-value\n');
    expectRefused(h, gvisorEnv(h), /the comma after the import is on another line; refusing to edit it/);
  });

  test.each([
    ['KEEP_FILES', '../../etc/passwd', /invalid file name .* in KEEP_FILES/],
    ['KEEP_FILES', 'runsc\n.hidden', /invalid file name .* in KEEP_FILES/],
    ['RUNTIME_FILES', 'runsc\n../../etc/passwd', /invalid file name .* in RUNTIME_FILES/],
    ['RUNTIME_HANDLERS', 'runc', /handler runc in RUNTIME_HANDLERS is the node's default runtime/],
    ['RUNTIME_HANDLERS', 'runsc\n[evil]', /invalid RUNTIME_HANDLERS/],
    ['RUNTIME_NAME', '../gvisor', /invalid RUNTIME_NAME/],
    ['RUNTIME_CONFIG_PATH', '/etc/containerd/config.toml', /RUNTIME_CONFIG_PATH must not be CONTAINERD_CONFIG/],
    ['RUNTIME_CONFIG_PATH', '/var/bin/containerruntimes/runsc.toml', /must not be inside BINARY_PATH/],
    ['BINARY_PATH', '/var/bin/../../etc', /invalid BINARY_PATH/],
  ])('%s = %j', (name, value, message) => {
    const h = host(containerd1Config());
    install(gvisorEnv(h));
    expectRefused(h, gvisorEnv(h, { [name]: value }), message);
  });
});

describe('verify-removed', () => {
  /** Runs verify-removed; proves it wrote nothing; returns its status and its [FATAL] line. */
  function verifyRemoved(h: Host, env: Record<string, string>): { status: number | null; line: string } {
    const before = snapshot(h.root);
    const r = runInstaller(env, { mode: 'verify-removed' });
    expect(snapshot(h.root)).toEqual(before);
    const fatal = r.stderr.split('\n').filter((l) => l.startsWith('[FATAL]'));
    expect(fatal.length).toBeLessThanOrEqual(1);
    return { status: r.status, line: fatal[0] ?? '' };
  }

  test.each([
    ['version 2', (): string => containerd1Config()],
    ['version 3', V3],
  ])('%s: fails while installed, passes after uninstall (without the artifacts)', (_name, config) => {
    const h = host(config());
    const env = gvisorEnv(h);
    install(env);
    expect(verifyRemoved(h, env).status).toBe(1);
    uninstall(env);
    expect(verifyRemoved(h, env)).toEqual({ status: 0, line: '' });
    expect(verifyRemoved(h, { ...env, ARTIFACT_DIR: '/nonexistent' }).status).toBe(0);
  });

  test.each<[string, string, (h: Host) => void, string]>([
    ['a handler table', 'v2', (h) => h.write(CONFIG_PATH, `${h.read(CONFIG_PATH)}\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes."runsc".options]\n`),
      '[FATAL] runtime=gvisor pool=sandbox verify-removed failed: handler runsc is still defined in /etc/containerd/config.toml'],
    ['the drop-in', 'v3', (h) => h.write(DROPIN, 'version = 3\n'),
      '[FATAL] runtime=gvisor pool=sandbox verify-removed failed: drop-in /etc/containerd/conf.d/gvisor.toml still exists'],
    ['a stale table in a version 3 config.toml', 'v3', (h) => h.write(CONFIG_PATH, `${h.read(CONFIG_PATH)}[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runsc]\nx = 1\n`),
      '[FATAL] runtime=gvisor pool=sandbox verify-removed failed: handler runsc is still defined in /etc/containerd/config.toml'],
    ['the runtime config', 'v2', (h) => h.write('/etc/containerd/runsc.toml', 'x'),
      '[FATAL] runtime=gvisor pool=sandbox verify-removed failed: file /etc/containerd/runsc.toml still exists'],
    ['a runtime file', 'v2', (h) => h.write(`${BINARY_PATH}/containerd-shim-runsc-v1`, 'x'),
      '[FATAL] runtime=gvisor pool=sandbox verify-removed failed: file /var/bin/containerruntimes/containerd-shim-runsc-v1 still exists'],
    ['a pending restart', 'v2', (h) => h.write('/run/shoot-runtimes/gvisor.restart-pending', ''),
      '[FATAL] runtime=gvisor pool=sandbox verify-removed failed: a containerd restart is pending (/run/shoot-runtimes/gvisor.restart-pending)'],
    ['an unreadable config.toml', 'v2', (h) => h.write(CONFIG_PATH, 'x = "\n'),
      '[FATAL] runtime=gvisor pool=sandbox verify-removed failed: cannot read /etc/containerd/config.toml: config.toml: line 1: unterminated string'],
  ])('fails with one line when %s remains', (_name, version, leave, line) => {
    const h = host(version === 'v3' ? V3() : containerd1Config());
    const env = gvisorEnv(h);
    install(env);
    uninstall(env);
    leave(h);
    expect(verifyRemoved(h, env)).toEqual({ status: 1, line });
  });

  test('a kept file does not count', () => {
    const h = host(containerd1Config());
    install(gvisorEnv(h));
    uninstall(gvisorEnv(h, { KEEP_FILES: 'runsc' }));
    expect(verifyRemoved(h, gvisorEnv(h, { KEEP_FILES: 'runsc' })).status).toBe(0);
    expect(verifyRemoved(h, gvisorEnv(h)).line).toContain('file /var/bin/containerruntimes/runsc still exists');
  });
});

test.each<Shell>(['dash', 'busybox'])('%s: install, uninstall, an unchanged second uninstall, verify-removed', (shell) => {
  const original = containerd1Config();
  const h = host(original);
  const env = gvisorEnv(h);
  install(env, { shell });
  uninstall(env, { shell });
  expect(h.read(CONFIG_PATH)).toBe(original);
  const before = snapshot(h.root);
  uninstall(env, { shell });
  expect(snapshot(h.root)).toEqual(before);
  expect(h.restarts()).toBe(2);
  expect(runInstaller(env, { shell, mode: 'verify-removed' }).status).toBe(0);

  const v3 = host(V3());
  const env3 = gvisorEnv(v3);
  install(env3, { shell });
  uninstall(env3, { shell });
  expect(v3.read(CONFIG_PATH)).toBe(V3());
  expect(runInstaller(env3, { shell, mode: 'verify-removed' }).status).toBe(0);
});
