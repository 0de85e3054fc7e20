/**
 * Idempotency is semantic: after Gardener's node agent re-encodes config.toml (other quoting,
 * order, indentation, no comments) the installer still recognizes its registration; a changed
 * registration is replaced, never duplicated; two installers at once lose nothing.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  CONFIG_PATH, containerd1Config, containerdDump, criRuntimes, effectiveConfig, gvisorEnv, hostsRemovedAfterAll, install, kataEnv, parseToml, reencode, snapshot, startInstaller,
} from '../support/host';

const host = hostsRemovedAfterAll();

const FIXTURES = path.join(__dirname, 'fixtures');

/** How many table headers of config.toml name a path (by meaning, as tomllib sees them). */
function countTables(text: string, needle: RegExp): number {
  return text.split('\n').filter((l) => needle.test(l)).length;
}

test('after the node agent re-encoded config.toml: no change, no duplicate table, no restart', () => {
  const h = host(containerd1Config());
  const env = gvisorEnv(h);
  install(env);
  reencode(h.path(CONFIG_PATH));
  const reencoded = h.read(CONFIG_PATH);
  // the re-encoder really changed the text: other quoting, order, no comments
  expect(reencoded).toContain(`[plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes."runsc"]`);
  expect(reencoded).not.toContain('# managed by');

  const before = snapshot(h.root);
  const r = install(env);
  expect(r.stderr).toContain('handler=runsc state=registered action=none');
  expect(snapshot(h.root)).toEqual(before);
  expect(h.restarts()).toBe(1);
});

test('a re-encoded config.toml with a changed registration is rewritten once, without duplicates', () => {
  const h = host(containerd1Config());
  install(gvisorEnv(h));
  reencode(h.path(CONFIG_PATH));
  const other = gvisorEnv(h, {
    RUNTIME_TABLES: '[runsc]\nruntime_type = "io.containerd.runsc.v1"\n\n[runsc.options]\nTypeUrl = "io.containerd.runsc.v1.options"\nConfigPath = "/etc/containerd/runsc-debug.toml"\n',
  });
  const r = install(other);
  expect(r.stderr).toContain('handler=runsc state=differs action=replace');
  const text = h.read(CONFIG_PATH);
  expect(countTables(text, /runtimes\.("?)runsc\1\]/)).toBe(1);
  expect(countTables(text, /runtimes\.("?)runsc\1\.("?)options\2\]/)).toBe(1);
  const runtimes = criRuntimes(containerdDump(h.path(CONFIG_PATH)));
  expect(runtimes.runsc.options.ConfigPath).toBe('/etc/containerd/runsc-debug.toml');
  expect(runtimes.runc.options.SystemdCgroup).toBe(true);
  expect(h.restarts()).toBe(2);

  // and it is stable again
  const before = snapshot(h.root);
  install(other);
  expect(snapshot(h.root)).toEqual(before);
});

test('a changed option replaces the tables in place, not a second copy', () => {
  const h = host(containerd1Config());
  install(gvisorEnv(h));
  const once = h.read(CONFIG_PATH);
  const changed = gvisorEnv(h, { RUNTIME_TABLES: '[runsc]\nruntime_type = "io.containerd.runsc.v1"\n' });
  install(changed);
  const text = h.read(CONFIG_PATH);
  expect(text).toBe(once.replace(
    /\n\[plugins\."io\.containerd\.grpc\.v1\.cri"\.containerd\.runtimes\.runsc\][^]*$/,
    '\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]\nruntime_type = "io.containerd.runsc.v1"\n\n'));
  expect(parseToml(h.path(CONFIG_PATH)).plugins['io.containerd.grpc.v1.cri'].containerd.runtimes.runsc)
    .toEqual({ runtime_type: 'io.containerd.runsc.v1' });
});

test('duplicate handler tables left by another installer are healed into one', () => {
  const base = containerd1Config();
  const table = '\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]\n  runtime_type = "io.containerd.runsc.v1"\n';
  const h = host(base + table + table);
  const r = install(gvisorEnv(h));
  expect(r.stderr).toContain('handler=runsc state=differs action=replace');
  const text = h.read(CONFIG_PATH);
  expect(countTables(text, /runtimes\.runsc\]/)).toBe(1);
  expect(criRuntimes(containerdDump(h.path(CONFIG_PATH))).runsc.options.TypeUrl).toBe('io.containerd.runsc.v1.options');
});

test('an existing registration written in another style (inline table, literal strings) counts as the same', () => {
  const h = host(`${containerd1Config()}
  [plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes."runsc"]   # ours
    "runtime_type" = 'io.containerd.runsc.v1'
    options = { ConfigPath = '/etc/containerd/runsc.toml', "TypeUrl" = "io.containerd.runsc.v1.options" }
`);
  const before = h.read(CONFIG_PATH);
  const r = install(gvisorEnv(h));
  expect(r.stderr).toContain('handler=runsc state=registered action=none');
  expect(h.read(CONFIG_PATH)).toBe(before);
});

test('version 3: a re-encoded config.toml keeps the import; nothing changes', () => {
  const h = host(fs.readFileSync(path.join(FIXTURES, 'config-v3.toml'), 'utf8'));
  install(gvisorEnv(h));
  reencode(h.path(CONFIG_PATH));
  expect(h.read(CONFIG_PATH)).toContain("imports=[\n    '/etc/containerd/conf.d/*.toml',\n]");
  const before = snapshot(h.root);
  install(gvisorEnv(h));
  expect(snapshot(h.root)).toEqual(before);
  expect(h.restarts()).toBe(1);
});

test.each([
  ['containerd 1.x (version 2)', (): string => containerd1Config()],
  ['containerd 2.x (version 3)', (): string => fs.readFileSync(path.join(FIXTURES, 'config-v3.toml'), 'utf8')],
])('%s: gVisor and Kata installing at the same moment both end up registered', async (_name, config) => {
  for (let round = 0; round < 2; round++) {
    const h = host(config());
    // a slow restart holds the lock long enough that the others must wait for it
    const slow = { CONTAINERD_RESTART_COMMAND: 'sleep 0.3; echo restart >>"$RESTART_LOG"' };
    const gvisor = gvisorEnv(h, slow);
    const kata = kataEnv(h, slow);
    const results = await Promise.all([startInstaller(gvisor), startInstaller(kata), startInstaller(gvisor, { shell: 'busybox' })]);
    for (const r of results) expect(r.stderr).not.toContain('[FATAL]');
    expect(results.map((r) => r.status)).toEqual([0, 0, 0]);
    expect(results.some((r) => r.stderr.includes('action=wait reason=lock-held'))).toBe(true);
    const effective = effectiveConfig(h);
    const runtimes = effective.version === 3
      ? effective.plugins['io.containerd.cri.v1.runtime'].containerd.runtimes
      : effective.plugins['io.containerd.grpc.v1.cri'].containerd.runtimes;
    expect(Object.keys(runtimes).sort()).toEqual(['kata-clh', 'kata-qemu', 'runc', 'runsc']);
    // one restart per installer that changed something (the third run found gVisor in place)
    expect(h.restarts()).toBe(2);
  }
});

test('handlers with a common prefix are separate: kata-qemu-tdx stays when kata-qemu is replaced', () => {
  const theirs = '\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata-qemu-tdx]\n  runtime_type = "io.containerd.kata-qemu-tdx.v2"\n';
  const h = host(containerd1Config() + theirs + '\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.kata-qemu]\n  runtime_type = "old"\n');
  install(kataEnv(h));
  const runtimes = criRuntimes(containerdDump(h.path(CONFIG_PATH)));
  expect(runtimes['kata-qemu-tdx'].runtime_type).toBe('io.containerd.kata-qemu-tdx.v2');
  expect(runtimes['kata-qemu'].runtime_type).toBe('io.containerd.kata-qemu.v2');
  expect(h.read(CONFIG_PATH)).toContain(theirs);
});
