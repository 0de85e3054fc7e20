/**
 * How install.sh learns the node's containerd version (CONTAINERD_VERSION_COMMAND, whose default
 * asks the host's containerd through PID 1's mount namespace) and what it refuses: versions it
 * cannot read, an unknown line, foreign drop-ins of another version among the imports.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { CONTAINERD_LINES, containerdOf } from '../support/debian';
import {
  CONFIG_PATH, Host, INSTALL_SCRIPT, containerd1Config, gvisorEnv, hostsRemovedAfterAll, lineDump, dumpRuntimes, runInstaller, snapshot,
} from '../support/host';

const host = hostsRemovedAfterAll();

/** Runs an install that must be refused: one [FATAL] line, /etc untouched, no restart. */
function expectRefused(h: Host, env: Record<string, string>, message: string | RegExp): void {
  const before = snapshot(h.path('/etc'));
  const r = runInstaller(env);
  expect(r.status).toBe(1);
  expect(r.stderr.split('\n').filter((l) => l.startsWith('[FATAL]'))).toHaveLength(1);
  expect(r.stderr).toMatch(message);
  expect(snapshot(h.path('/etc'))).toEqual(before);
  expect(h.restarts()).toBe(0);
}

describe.each(CONTAINERD_LINES.map((l) => l.line))('the default CONTAINERD_VERSION_COMMAND on containerd %s', (line) => {
  test('asks /usr/bin/containerd in PID 1\'s mount namespace (a private mount and PID namespace here)', () => {
    const c = containerdOf(line);
    const h = host(containerd1Config(), line);
    const bin = path.join(h.dir, 'usr-bin');
    fs.mkdirSync(bin);
    fs.copyFileSync(c.containerd, path.join(bin, 'containerd'));
    fs.chmodSync(path.join(bin, 'containerd'), 0o755);
    // /usr/bin gains containerd through an overlay that only this namespace sees
    const work = path.join(h.dir, 'overlay-work');
    const upper = path.join(h.dir, 'overlay-upper');
    fs.mkdirSync(work);
    fs.mkdirSync(upper);
    const script = 'mount -t overlay overlay -o "lowerdir=$1:/usr/bin,upperdir=$2,workdir=$3" /usr/bin && shift 3 && exec "$@"';
    const env = { ...gvisorEnv(h), PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } as Record<string, string>;
    delete env.CONTAINERD_VERSION_COMMAND;
    const r = spawnSync('unshare', ['--mount', '--pid', '--fork', '--mount-proc', '--propagation', 'private',
      'sh', '-c', script, 'sh', bin, upper, work, '/usr/bin/dash', INSTALL_SCRIPT], { env, encoding: 'utf8', timeout: 30_000 });
    expect(r.stderr).toContain(`action=detect containerd=${c.number.replace(/~/g, '?')} `);
    expect(r.status).toBe(0);
    expect(h.read('/run/shoot-runtimes/containerd.version').trimEnd()).toBe(c.version);
    expect(dumpRuntimes(lineDump(h).config).runsc.runtime_type).toBe('io.containerd.runsc.v1');
  });
});

describe('refused before anything changes', () => {
  test.each([
    ['a failing command', 'echo "nsenter: cannot open /proc/1/ns/mnt: Permission denied" >&2; exit 1', /cannot ask the node's containerd for its version: nsenter: cannot open \/proc\/1\/ns\/mnt: Permission denied/],
    ['output that is not containerd\'s', 'echo "hello world"', /cannot read containerd's version from 'hello\?world'/],
    ['an unknown line', 'echo containerd github.com/containerd/containerd/v3 3.0.0 x', /containerd 3\.0\.0 is not a line this installer knows \(1\.x, 2\.x\); refusing to guess its config format/],
    ['a line too old for version 2 files', 'echo containerd github.com/containerd/containerd v1.2.13 x', /is version 2, which containerd 1\.2\.13 cannot read \(1\.3 or newer can\)/],
  ])('%s', (_name, command, message) => {
    const h = host(containerd1Config());
    expectRefused(h, gvisorEnv(h, { CONTAINERD_VERSION_COMMAND: command }), message);
  });

  test.each(CONTAINERD_LINES.map((l) => l.line))('containerd %s: a foreign drop-in of another version among the imports', (line) => {
    const h = host(containerd1Config(), line);
    h.write('/etc/containerd/conf.d/other.toml', 'version = 3\n[plugins."io.containerd.cri.v1.images".pinned_images]\nsandbox = "x"\n');
    expectRefused(h, gvisorEnv(h), '/etc/containerd/conf.d/other.toml (imported by /etc/containerd/config.toml) is version 3, config.toml is version 2: containerd would take the drop-in\'s version and misread config.toml; refusing (fix or remove that drop-in)');
  });

  test('a foreign drop-in without a version key, or of the same version, is fine', () => {
    const h = host(containerd1Config());
    h.write('/etc/containerd/conf.d/a.toml', '[plugins."io.containerd.grpc.v1.cri".registry]\nconfig_path = "/etc/containerd/certs.d"\n');
    h.write('/etc/containerd/conf.d/b.toml', 'version = 2\n');
    const r = runInstaller(gvisorEnv(h));
    expect(r.status).toBe(0);
    expect(h.read(CONFIG_PATH)).toContain('runtimes.runsc]');
  });
});

test('uninstall refuses to remove the handler that is containerd\'s default runtime', () => {
  const config = containerd1Config().replace('default_runtime_name = "runc"', 'default_runtime_name = "runsc"');
  expect(config).toContain('default_runtime_name = "runsc"');
  const h = host(config);
  const env = gvisorEnv(h);
  expect(runInstaller(env).status).toBe(0);
  const before = snapshot(h.path('/etc'));
  const r = runInstaller(env, { mode: 'uninstall' });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain("[FATAL] runtime=gvisor pool=sandbox handler runsc is containerd's default runtime (default_runtime_name in /etc/containerd/config.toml): removing it would stop the CRI plugin; refusing");
  expect(snapshot(h.path('/etc'))).toEqual(before);
});

test('verify fails while this installer\'s drop-in exists next to a registration in config.toml', () => {
  const h = host(containerd1Config());
  const env = gvisorEnv(h);
  expect(runInstaller(env).status).toBe(0);
  h.write('/etc/containerd/conf.d/gvisor.toml', 'version = 3\n');
  const r = runInstaller(env, { mode: 'verify' });
  expect(r.status).toBe(1);
  expect(r.stderr).toContain('drop-in /etc/containerd/conf.d/gvisor.toml exists while the handlers belong in /etc/containerd/config.toml');
  // the next install removes it and restarts once
  const again = runInstaller(env);
  expect(again.stderr).toContain('action=remove file=/etc/containerd/conf.d/gvisor.toml reason=registration-in-config.toml');
  expect(h.exists('/etc/containerd/conf.d/gvisor.toml')).toBe(false);
  expect(h.restarts()).toBe(2);
  expect(runInstaller(env, { mode: 'verify' }).status).toBe(0);
});
