/**
 * install.sh on the three kinds of nodes: containerd 1.x with a version 2 config, an old version
 * 1 config, and containerd 2.x with a version 3 config; and what a second run does.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  BINARY_PATH, CONFIG_PATH, containerd1Config, containerdDump, criRuntimes, effectiveConfig, GVISOR_CONFIG, gvisorEnv, hostsRemovedAfterAll, install, kataEnv, parseToml, snapshot,
} from '../support/host';


const FIXTURES = path.join(__dirname, 'fixtures');
const fixture = (name: string): string => fs.readFileSync(path.join(FIXTURES, name), 'utf8');

const host = hostsRemovedAfterAll();

test('a containerd 1.x node (version 2): runsc is registered in config.toml and the node keeps its settings', () => {
  const original = containerd1Config();
  const h = host(original);
  const r = install(gvisorEnv(h));

  const written = h.read(CONFIG_PATH);
  // every byte of the original stays; the tables are appended
  expect(written.startsWith(original)).toBe(true);
  expect(written.slice(original.length)).toBe([
    '',
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]',
    'runtime_type = "io.containerd.runsc.v1"',
    '',
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc.options]',
    'TypeUrl = "io.containerd.runsc.v1.options"',
    'ConfigPath = "/etc/containerd/runsc.toml"',
    '',
  ].join('\n'));

  const dump = containerdDump(h.path(CONFIG_PATH));
  const cri = dump.plugins['io.containerd.grpc.v1.cri'];
  expect(cri.sandbox_image).toBe('registry.example.com/gardener/pause:3.9');
  expect(criRuntimes(dump).runc.options.SystemdCgroup).toBe(true);
  expect(criRuntimes(dump).runsc.runtime_type).toBe('io.containerd.runsc.v1');
  expect(criRuntimes(dump).runsc.options).toEqual({
    TypeUrl: 'io.containerd.runsc.v1.options',
    ConfigPath: '/etc/containerd/runsc.toml',
  });
  expect(parseToml(h.path(CONFIG_PATH)).imports).toEqual(['/etc/containerd/conf.d/*.toml']);

  for (const name of ['runsc', 'containerd-shim-runsc-v1']) {
    const file = h.path(`${BINARY_PATH}/${name}`);
    expect(fs.readFileSync(file)).toEqual(fs.readFileSync(path.join(h.artifacts, name)));
    expect(fs.statSync(file).mode & 0o777).toBe(0o755);
  }
  expect(h.read('/etc/containerd/runsc.toml')).toBe(GVISOR_CONFIG);
  expect(h.restarts()).toBe(1);
  expect(r.stderr).toContain('runtime=gvisor pool=sandbox action=restart reason=files-changed,runtime-config-changed,config-changed');
  expect(h.exists('/etc/containerd/conf.d/gvisor.toml')).toBe(false);
  // no temp file is left next to anything the script wrote
  for (const dir of ['/etc/containerd', BINARY_PATH]) {
    expect(fs.readdirSync(h.path(dir)).filter((f) => f.startsWith('.'))).toEqual([]);
  }
});

test('config.toml keeps its mode', () => {
  const h = host(containerd1Config());
  fs.chmodSync(h.path(CONFIG_PATH), 0o600);
  install(gvisorEnv(h));
  expect(fs.statSync(h.path(CONFIG_PATH)).mode & 0o777).toBe(0o600);
});

test('a second run on an unchanged node changes no byte and does not restart', () => {
  const h = host(containerd1Config());
  const env = gvisorEnv(h);
  install(env);
  const before = snapshot(h.root);
  const r = install(env);
  expect(snapshot(h.root)).toEqual(before);
  expect(h.restarts()).toBe(1);
  expect(r.stderr).toContain('handler=runsc state=registered action=none');
  expect(r.stderr).toContain('action=none reason=unchanged');
});

test('only a changed file restarts containerd again', () => {
  const h = host(containerd1Config());
  const env = gvisorEnv(h);
  install(env);
  const config = h.read(CONFIG_PATH);
  fs.writeFileSync(path.join(h.artifacts, 'runsc'), 'runsc binary v2\n');
  const r = install(env);
  expect(h.read(`${BINARY_PATH}/runsc`)).toBe('runsc binary v2\n');
  expect(h.read(CONFIG_PATH)).toBe(config);
  expect(h.restarts()).toBe(2);
  expect(r.stderr).toContain('action=restart reason=files-changed\n');
});

test('a version 1 config.toml gets the plugins.cri path', () => {
  const original = fixture('config-v1.toml');
  const h = host(original);
  install(gvisorEnv(h));
  const written = h.read(CONFIG_PATH);
  expect(written.startsWith(original)).toBe(true);
  expect(written).toContain('\n[plugins.cri.containerd.runtimes.runsc]\nruntime_type = "io.containerd.runsc.v1"\n');
  expect(written).toContain('\n[plugins.cri.containerd.runtimes.runsc.options]\n');
  const dump = containerdDump(h.path(CONFIG_PATH));
  expect(criRuntimes(dump).runsc.options.ConfigPath).toBe('/etc/containerd/runsc.toml');
  expect(criRuntimes(dump).runc.options.SystemdCgroup).toBe(true);
  expect(dump.plugins['io.containerd.grpc.v1.cri'].sandbox_image).toBe('registry.example.com/gardener/pause:3.9');
});

test('a containerd 2.x node (version 3): a drop-in registers runsc, config.toml gains the import', () => {
  const original = fixture('config-v3.toml');
  const h = host(original);
  install(gvisorEnv(h));

  expect(h.read(CONFIG_PATH)).toBe(original.replace(
    "version = 3\n", 'version = 3\nimports = ["/etc/containerd/conf.d/*.toml"]\n'));
  expect(h.read('/etc/containerd/conf.d/gvisor.toml')).toBe([
    '# Written by shoot-runtimes for runtime gvisor; every install rewrites it.',
    'version = 3',
    '',
    '[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runsc]',
    'runtime_type = "io.containerd.runsc.v1"',
    '',
    '[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runsc.options]',
    'TypeUrl = "io.containerd.runsc.v1.options"',
    'ConfigPath = "/etc/containerd/runsc.toml"',
    '',
  ].join('\n'));

  const effective = effectiveConfig(h);
  const runtimes = effective.plugins['io.containerd.cri.v1.runtime'].containerd.runtimes;
  expect(runtimes.runc).toEqual({ runtime_type: 'io.containerd.runc.v2', options: { SystemdCgroup: true } });
  expect(runtimes.runsc).toEqual({
    runtime_type: 'io.containerd.runsc.v1',
    options: { TypeUrl: 'io.containerd.runsc.v1.options', ConfigPath: '/etc/containerd/runsc.toml' },
  });
  expect(effective.plugins['io.containerd.cri.v1.images'].pinned_images.sandbox).toBe('registry.example.com/gardener/pause:3.10');
  expect(h.restarts()).toBe(1);

  const before = snapshot(h.root);
  install(gvisorEnv(h));
  expect(snapshot(h.root)).toEqual(before);
  expect(h.restarts()).toBe(1);
});

test('version 3: an imports array that covers conf.d is left alone; one that does not gains the glob', () => {
  const covered = fixture('config-v3.toml').replace("version = 3\n", "version = 3\nimports = ['/etc/containerd/conf.d/*.toml']\n");
  const h1 = host(covered);
  install(gvisorEnv(h1));
  expect(h1.read(CONFIG_PATH)).toBe(covered);
  expect(h1.exists('/etc/containerd/conf.d/gvisor.toml')).toBe(true);

  const other = fixture('config-v3.toml').replace("version = 3\n", "version = 3\nimports = [\n  '/etc/other/*.toml', # theirs\n]\n");
  const h2 = host(other);
  install(gvisorEnv(h2));
  expect(h2.read(CONFIG_PATH)).toBe(other.replace(
    "# theirs\n]", '# theirs\n "/etc/containerd/conf.d/*.toml"]'));
  expect(parseToml(h2.path(CONFIG_PATH)).imports).toEqual(['/etc/other/*.toml', '/etc/containerd/conf.d/*.toml']);
});

test('version 4 on containerd 2.3 (a stand-in version: no 2.3 binary is packaged) is treated like version 3', () => {
  const h = host(fixture('config-v3.toml').replace('version = 3', 'version = 4'));
  install(gvisorEnv(h, { CONTAINERD_VERSION_COMMAND: 'echo containerd github.com/containerd/containerd/v2 v2.3.0 stand-in' }));
  expect(h.read('/etc/containerd/conf.d/gvisor.toml')).toContain('version = 4\n');
  expect(effectiveConfig(h).plugins['io.containerd.cri.v1.runtime'].containerd.runtimes.runsc.runtime_type)
    .toBe('io.containerd.runsc.v1');
});

test('version 3: a handler table left in config.toml (an older installer) moves to the drop-in', () => {
  const original = `${fixture('config-v3.toml')}
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runsc]
          runtime_type = 'io.containerd.runsc.v1'
          stale = true
`;
  const h = host(original);
  install(gvisorEnv(h));
  const runtimes = effectiveConfig(h).plugins['io.containerd.cri.v1.runtime'].containerd.runtimes;
  expect(runtimes.runsc.stale).toBeUndefined();
  expect(runtimes.runsc.options.TypeUrl).toBe('io.containerd.runsc.v1.options');
  expect(h.read(CONFIG_PATH)).not.toContain('runsc');
});

test('kata: two handlers from one runtime, with an array value', () => {
  const h = host(containerd1Config());
  install(kataEnv(h));
  const runtimes = criRuntimes(containerdDump(h.path(CONFIG_PATH)));
  expect(runtimes['kata-qemu'].runtime_type).toBe('io.containerd.kata-qemu.v2');
  expect(runtimes['kata-qemu'].pod_annotations).toEqual(['io.katacontainers.*']);
  expect(runtimes['kata-qemu'].privileged_without_host_devices).toBe(true);
  expect(runtimes['kata-clh'].options.ConfigPath).toBe('/opt/kata/share/defaults/kata-containers/configuration-clh.toml');
  expect(runtimes.runc.options.SystemdCgroup).toBe(true);
  expect(h.restarts()).toBe(1);
});
