/**
 * `verify` (the liveness probe) passes after an install and names the first drift; it never
 * writes. `watch` (the long-running command) exits promptly on SIGTERM and removes nothing.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  BINARY_PATH, CONFIG_PATH, containerd1Config, gvisorEnv, Host, hostsRemovedAfterAll, install, INSTALL_SCRIPT, kataEnv, runInstaller, snapshot,
} from '../support/host';
import { BUSYBOX_PATH_DIR, busyboxBinary } from '../support/debian';

const host = hostsRemovedAfterAll();

const V3 = (): string => fs.readFileSync(path.join(__dirname, 'fixtures', 'config-v3.toml'), 'utf8');

/** Runs verify; proves it wrote nothing; returns its status and its [FATAL] line (if any). */
function verify(h: Host, env: Record<string, string>): { status: number | null; line: string } {
  const before = snapshot(h.root);
  const r = runInstaller(env, { mode: 'verify' });
  expect(snapshot(h.root)).toEqual(before);
  const fatal = r.stderr.split('\n').filter((l) => l.startsWith('[FATAL]'));
  expect(fatal.length).toBeLessThanOrEqual(1);
  return { status: r.status, line: fatal[0] ?? '' };
}

test('verify passes after install, on version 2 and version 3 nodes', () => {
  for (const config of [containerd1Config(), V3()]) {
    const h = host(config);
    const env = gvisorEnv(h);
    expect(verify(h, env).status).toBe(1);
    install(env);
    expect(verify(h, env)).toEqual({ status: 0, line: '' });
    // the long-running container may not have the artifacts: existence is checked then
    expect(verify(h, { ...env, ARTIFACT_DIR: '/nonexistent' }).status).toBe(0);
  }
});

test.each<[string, (h: Host) => void, RegExp]>([
  ['a file removed', (h) => fs.rmSync(h.path(`${BINARY_PATH}/containerd-shim-runsc-v1`)), /file \/var\/bin\/containerruntimes\/containerd-shim-runsc-v1 is missing/],
  ['a file changed', (h) => h.write(`${BINARY_PATH}/runsc`, 'other'), /file \/var\/bin\/containerruntimes\/runsc differs/],
  ['runsc.toml changed', (h) => h.write('/etc/containerd/runsc.toml', 'x'), /runsc.toml is missing or differs/],
  ['the tables removed', (h) => h.write(CONFIG_PATH, containerd1Config()), /handler runsc is not registered in \/etc\/containerd\/config.toml/],
  ['an option changed', (h) => h.write(CONFIG_PATH, h.read(CONFIG_PATH).replace('runsc.v1.options', 'other')), /handler runsc in \/etc\/containerd\/config.toml differs from RUNTIME_TABLES/],
  ['config.toml removed', (h) => fs.rmSync(h.path(CONFIG_PATH)), /config.toml does not exist/],
])('verify fails after drift: %s', (_name, drift, message) => {
  const h = host(containerd1Config());
  const env = gvisorEnv(h);
  install(env);
  drift(h);
  const r = verify(h, env);
  expect(r.status).toBe(1);
  expect(r.line).toMatch(message);
});

test.each<[string, (h: Host) => void, RegExp]>([
  ['the drop-in removed', (h) => fs.rmSync(h.path('/etc/containerd/conf.d/gvisor.toml')), /drop-in \/etc\/containerd\/conf.d\/gvisor.toml is missing or differs/],
  ['the import removed', (h) => h.write(CONFIG_PATH, V3()), /does not import \/etc\/containerd\/conf.d\/\*.toml/],
])('version 3: verify fails after drift: %s', (_name, drift, message) => {
  const h = host(V3());
  const env = gvisorEnv(h);
  install(env);
  drift(h);
  const r = verify(h, env);
  expect(r.status).toBe(1);
  expect(r.line).toMatch(message);
});

test('verify checks every handler of a runtime', () => {
  const h = host(containerd1Config());
  const env = kataEnv(h);
  install(env);
  expect(verify(h, env).status).toBe(0);
  h.write(CONFIG_PATH, h.read(CONFIG_PATH).replace(/\n\[[^\n]*kata-clh\][^[]*/, '\n'));
  expect(verify(h, env).line).toMatch(/handler kata-clh in \/etc\/containerd\/config.toml differs from RUNTIME_TABLES/);
});

test.each(['dash', 'busybox'])('%s: watch exits promptly on SIGTERM and leaves everything installed', async (shell) => {
  const h = host(containerd1Config());
  const env = gvisorEnv(h);
  install(env);
  const before = snapshot(h.root);
  const child = shell === 'dash'
    ? spawn('/usr/bin/dash', [INSTALL_SCRIPT, 'watch'], { env: { PATH: process.env.PATH, ...env } })
    : spawn(busyboxBinary(), ['sh', INSTALL_SCRIPT, 'watch'], { env: { PATH: BUSYBOX_PATH_DIR, ...env } });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const started = Date.now();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect(await exited).toBe(0);
  expect(Date.now() - started).toBeLessThan(2000);
  expect(snapshot(h.root)).toEqual(before);
});
