import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { cli } from './support/cli';
import { kustomizeObjects, readTree, shoot, writeFiles } from './support/fixtures';
import { CONFIG_PATH, INSTALL_SCRIPT, addArtifacts, containerd1Config, containerdDump, criRuntimes, makeHost, runInstaller, versionSeam } from './support/host';

const DIR = 'shoots/garden-dev/alpha';
const both = shoot('garden-dev', 'alpha', [{ name: 'sandbox', runtimes: [{ type: 'gvisor' }, { type: 'kata' }] }, { name: 'system' }]);
const kataOnly = shoot('garden-dev', 'alpha', [{ name: 'sandbox', runtimes: [{ type: 'kata' }] }, { name: 'system' }]);
const poolGone = shoot('garden-dev', 'alpha', [{ name: 'system' }]);

/** A garden directory whose one Shoot is replaced between synth runs. */
function garden(shootText: string, extra: string[] = []): { dir: string; config: string; set(text: string): void } {
  const dir = writeFiles({
    'garden/alpha.yaml': shootText,
    'pipeline.yaml': ['apiVersion: shoot-runtimes.dev/v1alpha1', 'kind: Pipeline', 'metadata: {name: u}', 'spec:', '  sources: [garden]', '  output: {dir: out}', ...extra].join('\n'),
  });
  return { dir, config: path.join(dir, 'pipeline.yaml'), set: (text) => fs.writeFileSync(path.join(dir, 'garden/alpha.yaml'), text) };
}

function synth(config: string, command = 'synth') {
  const result = cli([command, '--config', config]);
  if (result.status !== 0) throw new Error(`${command} failed:\n${result.stderr}`);
  return result;
}

const load = (dir: string, file: string) => yaml.load(fs.readFileSync(path.join(dir, 'out', DIR, file), 'utf8')) as any;
const files = (dir: string) => Object.keys(readTree(path.join(dir, 'out', DIR))).sort();
const privileged = (ds: any) => ds.spec.template.spec.initContainers.find((c: any) => c.securityContext?.privileged);
const envOf = (c: any) => Object.fromEntries(c.env.map((e: any) => [e.name, e.value]));

test('dropping a runtime from a pool removes its classes at once and renders its uninstaller in place of the installer', () => {
  const g = garden(both);
  synth(g.config);
  const installer = load(g.dir, 'daemonset-gvisor-sandbox.yaml');
  g.set(kataOnly);
  synth(g.config);
  expect(files(g.dir)).not.toContain('runtimeclass-gvisor-sandbox.yaml');
  expect(files(g.dir)).not.toContain('runtimeclass-gvisor.yaml');
  const uninstaller = load(g.dir, 'daemonset-gvisor-sandbox.yaml');
  // Same object, same immutable selector, same nodes: Flux or Argo CD rolls it in place.
  expect(uninstaller.metadata.name).toBe(installer.metadata.name);
  expect(uninstaller.spec.selector).toEqual(installer.spec.selector);
  expect(uninstaller.spec.template.spec.nodeSelector).toEqual(installer.spec.template.spec.nodeSelector);
  expect(uninstaller.spec.template.metadata.labels['shoot-runtimes.dev/phase']).toBe('uninstall');
  // New nodes wait for installers (node.gardener.cloud/critical-component), never for an uninstaller.
  expect(installer.metadata.labels['node.gardener.cloud/critical-component']).toBe('true');
  expect(uninstaller.metadata.labels['node.gardener.cloud/critical-component']).toBeUndefined();
  expect(uninstaller.spec.template.metadata.labels['node.gardener.cloud/critical-component']).toBeUndefined();
  expect(JSON.stringify(uninstaller.spec.template.spec.tolerations)).not.toContain('critical-components-not-ready');
  const init = uninstaller.spec.template.spec.initContainers;
  expect(init.map((c: any) => c.name)).toEqual(['uninstall']);
  expect(init[0].command).toEqual(['/bin/sh', '/scripts/install.sh', 'uninstall']);
  const { ARTIFACT_DIR: _, ...installEnv } = envOf(privileged(installer));
  expect(envOf(init[0])).toEqual(installEnv);
  expect(uninstaller.spec.template.spec.containers[0].livenessProbe.exec.command).toEqual(['/bin/sh', '/scripts/install.sh', 'verify-removed']);
  // Kata is untouched and check agrees with the tree.
  expect(load(g.dir, 'daemonset-kata-sandbox.yaml').spec.template.metadata.labels['shoot-runtimes.dev/phase']).toBe('install');
  expect(cli(['check', '--config', g.config]).status).toBe(0);
  expect(cli(['synth', '--config', g.config]).stderr).toContain(' 0 files written');
});

test('re-adding a runtime before its uninstall was retired turns the uninstaller back into the installer', () => {
  const g = garden(both);
  synth(g.config);
  const before = readTree(path.join(g.dir, 'out'));
  g.set(kataOnly);
  synth(g.config);
  g.set(both);
  synth(g.config);
  expect(readTree(path.join(g.dir, 'out'))).toEqual(before);
});

test('retire drops pending uninstallers; a pool or shoot that leaves takes its runtimes without one', () => {
  const g = garden(both);
  synth(g.config);
  g.set(kataOnly);
  synth(g.config);
  expect(synth(g.config, 'retire').stderr).toContain('1 uninstalls retired');
  expect(files(g.dir)).not.toContain('daemonset-gvisor-sandbox.yaml');
  expect(files(g.dir)).toContain('daemonset-kata-sandbox.yaml');

  g.set(poolGone);
  synth(g.config);
  expect(files(g.dir)).toEqual(['kustomization.yaml']);
  expect(readTree(path.join(g.dir, 'out', '.shoot-runtimes', 'installed'))).toEqual({});
});

test('spec.uninstall.retireAfterRuns retires an uninstaller after that many synth runs; check never advances the count', () => {
  const g = garden(both, ['  uninstall: {retireAfterRuns: 2}']);
  synth(g.config);
  g.set(kataOnly);
  synth(g.config); // run 1 with the uninstaller
  for (let i = 0; i < 3; i++) expect(cli(['check', '--config', g.config]).status).toBe(0);
  synth(g.config); // run 2
  expect(files(g.dir)).toContain('daemonset-gvisor-sandbox.yaml');
  expect(synth(g.config).stderr).toContain('1 uninstalls retired'); // run 3
  expect(files(g.dir)).not.toContain('daemonset-gvisor-sandbox.yaml');
});

test('a file another runtime on the pool still uses is kept (KEEP_FILES)', () => {
  const runtimes = [
    '  runtimes:',
    '    crun-a: {image: "registry.example.com/crun:1.19", files: [/usr/bin/crun, /usr/bin/a-helper], architectures: [amd64], classes: [{name: crun-a, handler: crun-a, runtimeType: io.containerd.runc.v2}]}',
    '    crun-b: {image: "registry.example.com/crun:1.19", files: [/usr/bin/crun], architectures: [amd64], classes: [{name: crun-b, handler: crun-b, runtimeType: io.containerd.runc.v2}]}',
  ];
  const g = garden(shoot('garden-dev', 'alpha', [{ name: 'p', runtimes: [{ type: 'crun-a' }, { type: 'crun-b' }] }]), runtimes);
  synth(g.config);
  g.set(shoot('garden-dev', 'alpha', [{ name: 'p', runtimes: [{ type: 'crun-b' }] }]));
  synth(g.config);
  const env = envOf(privileged(load(g.dir, 'daemonset-crun-a-p.yaml')));
  expect(env.KEEP_FILES).toBe('crun');
  expect(env.RUNTIME_FILES).toBe('crun\na-helper');
});

test('the rendered uninstaller, run after the rendered installer on a containerd 1.x node, leaves runc, Kata and the node\'s settings', () => {
  const g = garden(both);
  synth(g.config);
  const objects = kustomizeObjects(path.join(g.dir, 'out', DIR));
  const script = objects[`ConfigMap/${objects['DaemonSet/kata-sandbox'].spec.template.spec.volumes.find((v: any) => v.name === 'installer-script').configMap.name}`];
  expect(script.data['install.sh']).toBe(fs.readFileSync(INSTALL_SCRIPT, 'utf8'));
  const host = makeHost(containerd1Config());
  const original = host.read(CONFIG_PATH);
  const seams = { HOST_ROOT: host.root, ARTIFACT_DIR: host.artifacts, CONTAINERD_RESTART_COMMAND: `echo restart >> ${host.restartLog}`, ...versionSeam(host) };
  for (const name of ['kata', 'gvisor']) {
    const env = envOf(privileged(load(g.dir, `daemonset-${name}-sandbox.yaml`)));
    addArtifacts(host, Object.fromEntries(env.RUNTIME_FILES.split('\n').map((f: string) => [f, `${f} stand-in\n`])));
    const r = runInstaller({ ...env, ...seams });
    expect(r.stderr).not.toContain('FATAL');
    expect(r.status).toBe(0);
  }
  const afterKata = containerdDump(host.path(CONFIG_PATH));
  expect(Object.keys(criRuntimes(afterKata)).sort()).toEqual(['kata-clh', 'kata-qemu', 'runc', 'runsc']);

  g.set(kataOnly);
  synth(g.config);
  const uninstallEnv = envOf(privileged(load(g.dir, 'daemonset-gvisor-sandbox.yaml')));
  const restarts = host.restarts();
  const r = runInstaller({ ...uninstallEnv, ...seams }, { mode: 'uninstall' });
  expect(r.status).toBe(0);
  expect(host.restarts()).toBe(restarts + 1);
  const dump = containerdDump(host.path(CONFIG_PATH));
  expect(Object.keys(criRuntimes(dump)).sort()).toEqual(['kata-clh', 'kata-qemu', 'runc']);
  expect(host.read(CONFIG_PATH)).toContain(original.split('\n').find((l) => l.includes('sandbox_image'))!);
  expect(host.exists('/var/bin/containerruntimes/runsc')).toBe(false);
  expect(host.exists('/var/bin/containerruntimes/containerd-shim-kata-v2')).toBe(true);
  expect(runInstaller({ ...uninstallEnv, ...seams }, { mode: 'verify-removed' }).status).toBe(0);
  // A second run changes nothing and does not restart.
  const config = host.read(CONFIG_PATH);
  expect(runInstaller({ ...uninstallEnv, ...seams }, { mode: 'uninstall' }).status).toBe(0);
  expect(host.read(CONFIG_PATH)).toBe(config);
  expect(host.restarts()).toBe(restarts + 1);
});

test('plan shows pending installs and uninstalls against the output', () => {
  const g = garden(both);
  const planOf = () => JSON.parse(cli(['plan', '--config', g.config, '--format', 'json']).stdout) as any[];
  g.set(kataOnly);
  synth(g.config);
  expect(planOf().flatMap((r) => r.notes).filter((n: string) => n.includes('pending'))).toEqual([]);
  g.set(both);
  expect(planOf().filter((r) => r.notes.includes('install pending: not in the output yet')).map((r) => r.runtime)).toEqual(['gvisor']);
  synth(g.config);
  g.set(kataOnly);
  expect(planOf()).toContainEqual(expect.objectContaining({
    pool: 'sandbox', runtime: 'gvisor', installer: 'kube-system/gvisor-sandbox',
    notes: ['uninstall pending: runtime left the pool; retire when nodes are clean'],
  }));
});
