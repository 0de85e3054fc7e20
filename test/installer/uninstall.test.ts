/**
 * `install.sh uninstall` takes a runtime off a node: on containerd 1.x its tables leave
 * config.toml (every other byte stays), on containerd 2.x its drop-in goes and the import only
 * when install added it; the runtime config and files go, shared files stay; a second run changes
 * nothing; a later install puts everything back.
 */
import * as fs from 'fs';
import * as path from 'path';
import {
  BINARY_PATH, CONFIG_PATH, containerd1Config, containerdDump, criRuntimes, effectiveConfig, gvisorEnv, Host, hostsRemovedAfterAll, install, kataEnv, parseToml, reencode, runInstaller, snapshot, startInstaller, uninstall,
} from '../support/host';

const host = hostsRemovedAfterAll();

const FIXTURES = path.join(__dirname, 'fixtures');
const V3 = (): string => fs.readFileSync(path.join(FIXTURES, 'config-v3.toml'), 'utf8');
const MARKER = '/etc/containerd/shoot-runtimes.added-import';
const DROPIN = '/etc/containerd/conf.d/gvisor.toml';
const GVISOR_FILES = ['runsc', 'containerd-shim-runsc-v1'];

/** The runtimes table of containerd 2.x's effective config. */
const v3Runtimes = (h: Host): Record<string, any> =>
  effectiveConfig(h).plugins['io.containerd.cri.v1.runtime'].containerd.runtimes;

function verifyRemoved(env: Record<string, string>): { status: number | null; stderr: string } {
  const r = runInstaller(env, { mode: 'verify-removed' });
  return { status: r.status, stderr: r.stderr };
}

describe('containerd 1.x (config.toml version 2)', () => {
  test('Kata, then gVisor, then gVisor uninstalled: config.toml is byte for byte the file before gVisor came', () => {
    const original = containerd1Config();
    const h = host(original);
    install(kataEnv(h));
    const withKata = h.read(CONFIG_PATH);
    install(gvisorEnv(h));
    expect(h.read(CONFIG_PATH)).not.toBe(withKata);

    const r = uninstall(gvisorEnv(h));
    expect(h.read(CONFIG_PATH)).toBe(withKata);

    // containerd 1.6 sees runc, Kata's handlers and the node's own settings, and no runsc
    const dump = containerdDump(h.path(CONFIG_PATH));
    const runtimes = criRuntimes(dump);
    expect(runtimes.runsc).toBeUndefined();
    expect(runtimes.runc.options.SystemdCgroup).toBe(true);
    expect(runtimes['kata-qemu'].runtime_type).toBe('io.containerd.kata-qemu.v2');
    expect(runtimes['kata-qemu'].pod_annotations).toEqual(['io.katacontainers.*']);
    expect(runtimes['kata-clh'].options.ConfigPath).toBe('/opt/kata/share/defaults/kata-containers/configuration-clh.toml');
    expect(dump.plugins['io.containerd.grpc.v1.cri'].sandbox_image).toBe('registry.example.com/gardener/pause:3.9');
    expect(parseToml(h.path(CONFIG_PATH)).imports).toEqual(['/etc/containerd/conf.d/*.toml']);

    // gVisor's runtime config and files are gone; Kata's shim stays
    expect(h.exists('/etc/containerd/runsc.toml')).toBe(false);
    for (const name of GVISOR_FILES) expect(h.exists(`${BINARY_PATH}/${name}`)).toBe(false);
    expect(h.read(`${BINARY_PATH}/containerd-shim-kata-v2`)).toBe('kata shim\n');
    expect(runInstaller(kataEnv(h), { mode: 'verify' }).status).toBe(0);
    expect(h.restarts()).toBe(3);

    // one line per decision, with values, and a final line
    expect(r.stderr).toContain('[INFO]  runtime=gvisor pool=sandbox action=uninstall handlers=runsc files=runsc,containerd-shim-runsc-v1 keep=\n');
    expect(r.stderr).toContain('runtime=gvisor pool=sandbox handler=runsc state=present action=remove file=/etc/containerd/config.toml\n');
    expect(r.stderr).toContain('action=remove file=/etc/containerd/runsc.toml content=ours\n');
    expect(r.stderr).toContain('action=restart reason=runtime-config-removed,config-changed\n');
    expect(r.stderr).toContain('action=remove file=/var/bin/containerruntimes/runsc\n');
    expect(r.stderr.trimEnd().split('\n').pop()).toBe('[INFO]  runtime=gvisor pool=sandbox action=uninstall result=clean handlers=runsc');
    // the files went after the restart
    expect(r.stderr.indexOf('action=restart')).toBeLessThan(r.stderr.indexOf('action=remove file=/var/bin'));
    // no temp file is left
    for (const dir of ['/etc/containerd', BINARY_PATH]) {
      expect(fs.readdirSync(h.path(dir)).filter((f) => f.startsWith('.'))).toEqual([]);
    }
  });

  test('gVisor, then Kata, then gVisor uninstalled (tables in the middle): the same bytes as Kata alone', () => {
    const original = containerd1Config();
    const kataOnly = host(original);
    install(kataEnv(kataOnly));

    const h = host(original);
    install(gvisorEnv(h));
    install(kataEnv(h));
    uninstall(gvisorEnv(h));
    expect(h.read(CONFIG_PATH)).toBe(kataOnly.read(CONFIG_PATH));

    // and Kata uninstalled too: the node's own file, byte for byte
    uninstall(kataEnv(h));
    expect(h.read(CONFIG_PATH)).toBe(original);
    expect(fs.readdirSync(h.path(BINARY_PATH))).toEqual([]);
  });

  test('a version 1 config.toml: plugins.cri tables removed, the original bytes back', () => {
    const original = fs.readFileSync(path.join(FIXTURES, 'config-v1.toml'), 'utf8');
    const h = host(original);
    install(gvisorEnv(h));
    uninstall(gvisorEnv(h));
    expect(h.read(CONFIG_PATH)).toBe(original);
    expect(criRuntimes(containerdDump(h.path(CONFIG_PATH))).runsc).toBeUndefined();
  });

  test('config.toml keeps its mode', () => {
    const h = host(containerd1Config());
    install(gvisorEnv(h));
    fs.chmodSync(h.path(CONFIG_PATH), 0o600);
    uninstall(gvisorEnv(h));
    expect(fs.statSync(h.path(CONFIG_PATH)).mode & 0o777).toBe(0o600);
  });

  test('tables another installer wrote in another style (and duplicated) are found by meaning and removed', () => {
    const original = containerd1Config();
    const theirs = [
      '',
      `  [plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes."runsc"]   # gVisor`,
      `    "runtime_type" = 'io.containerd.runsc.v1'`,
      '    options = { ConfigPath = "/etc/containerd/runsc.toml" }',
      '',
      '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]',
      '  runtime_type = "io.containerd.runsc.v1"',
      '',
    ].join('\n');
    const h = host(original + theirs);
    const r = uninstall(gvisorEnv(h));
    expect(r.stderr).toContain('handler=runsc state=present action=remove');
    expect(h.read(CONFIG_PATH)).toBe(original);
  });
});

describe('containerd 2.x (config.toml version 3)', () => {
  test('no import before: install adds it and records that; uninstall removes drop-in, import and record', () => {
    const original = V3();
    const h = host(original);
    install(gvisorEnv(h));
    expect(h.read(CONFIG_PATH)).toContain('imports = ["/etc/containerd/conf.d/*.toml"]');
    expect(h.read(MARKER)).toContain('import=/etc/containerd/conf.d/*.toml\nhow=line\n');

    const r = uninstall(gvisorEnv(h));
    expect(r.stderr).toContain('action=remove-import import=/etc/containerd/conf.d/*.toml reason=added-by-installer how=line file=/etc/containerd/config.toml');
    expect(r.stderr).toContain('action=restart reason=dropin-removed,runtime-config-removed,config-changed\n');
    expect(h.read(CONFIG_PATH)).toBe(original);
    expect(h.exists(DROPIN)).toBe(false);
    expect(h.exists(MARKER)).toBe(false);
    expect(h.exists('/etc/containerd/runsc.toml')).toBe(false);
    expect(parseToml(h.path(CONFIG_PATH)).imports).toBeUndefined();
    expect(Object.keys(v3Runtimes(h))).toEqual(['runc']);
    expect(h.restarts()).toBe(2);
  });

  test('the import was there before: it stays, and there never was a record', () => {
    const original = V3().replace('version = 3\n', "version = 3\nimports = ['/etc/containerd/conf.d/*.toml']\n");
    const h = host(original);
    install(gvisorEnv(h));
    expect(h.exists(MARKER)).toBe(false);
    const r = uninstall(gvisorEnv(h));
    expect(r.stderr).toContain('action=keep-import import=/etc/containerd/conf.d/*.toml reason=not-added-by-installer');
    expect(h.read(CONFIG_PATH)).toBe(original);
    expect(parseToml(h.path(CONFIG_PATH)).imports).toEqual(['/etc/containerd/conf.d/*.toml']);
    expect(h.exists(DROPIN)).toBe(false);
    expect(v3Runtimes(h).runsc).toBeUndefined();
  });

  test.each([
    ['an empty array', 'imports = []\n', 'first'],
    ['an array with another import', "imports = ['/etc/other/*.toml']\n", 'after-value'],
    ['a multi-line array with a trailing comma and a comment', "imports = [\n  '/etc/other/*.toml', # theirs\n]\n", 'after-comma'],
  ])('the glob appended to %s is taken out again, byte for byte', (_name, imports, how) => {
    const original = V3().replace('version = 3\n', `version = 3\n${imports}`);
    const h = host(original);
    install(gvisorEnv(h));
    expect(h.read(MARKER)).toContain(`how=${how}\n`);
    expect(parseToml(h.path(CONFIG_PATH)).imports).toContain('/etc/containerd/conf.d/*.toml');
    uninstall(gvisorEnv(h));
    expect(h.read(CONFIG_PATH)).toBe(original);
  });

  test('gVisor and Kata on a node without the import: it stays while a drop-in of ours is left', () => {
    const original = V3();
    const h = host(original);
    install(gvisorEnv(h));
    install(kataEnv(h));
    const withBoth = h.read(CONFIG_PATH);

    const r = uninstall(gvisorEnv(h));
    expect(r.stderr).toContain('action=keep-import import=/etc/containerd/conf.d/*.toml reason=other-drop-ins files=kata-containers.toml');
    expect(h.read(CONFIG_PATH)).toBe(withBoth);
    expect(h.exists(MARKER)).toBe(true);
    expect(Object.keys(v3Runtimes(h)).sort()).toEqual(['kata-clh', 'kata-qemu', 'runc']);

    uninstall(kataEnv(h));
    expect(h.read(CONFIG_PATH)).toBe(original);
    expect(h.exists(MARKER)).toBe(false);
    expect(fs.readdirSync(h.path('/etc/containerd/conf.d'))).toEqual([]);
  });

  test('a drop-in someone else put into conf.d keeps the import too (it relies on it)', () => {
    const h = host(V3());
    install(gvisorEnv(h));
    h.write('/etc/containerd/conf.d/99-nvidia.toml', 'version = 3\n');
    const r = uninstall(gvisorEnv(h));
    expect(r.stderr).toContain('reason=other-drop-ins files=99-nvidia.toml');
    expect(parseToml(h.path(CONFIG_PATH)).imports).toEqual(['/etc/containerd/conf.d/*.toml']);
    expect(h.exists(DROPIN)).toBe(false);
  });

  test('a handler table an older installer left in config.toml goes too', () => {
    const original = V3();
    const h = host(`${original}
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runsc]
          runtime_type = 'io.containerd.runsc.v1'
`);
    const r = uninstall(gvisorEnv(h));
    expect(r.stderr).toContain('handler=runsc state=present action=remove');
    expect(h.read(CONFIG_PATH)).toBe(original);
  });

  test('a record whose import is gone (someone removed it) is forgotten', () => {
    const original = V3();
    const h = host(original);
    install(gvisorEnv(h));
    h.write(CONFIG_PATH, original);
    const r = uninstall(gvisorEnv(h));
    expect(r.stderr).toContain('action=forget-import import=/etc/containerd/conf.d/*.toml reason=not-in-imports');
    expect(h.exists(MARKER)).toBe(false);
    expect(h.read(CONFIG_PATH)).toBe(original);
  });
});

describe('a second run changes nothing', () => {
  test.each([
    ['version 2', (): string => containerd1Config()],
    ['version 3', V3],
  ])('%s: no byte, inode or mtime changes and no restart', (_name, config) => {
    const h = host(config());
    install(gvisorEnv(h));
    uninstall(gvisorEnv(h));
    expect(h.restarts()).toBe(2);
    const before = snapshot(h.root);
    const r = uninstall(gvisorEnv(h));
    expect(snapshot(h.root)).toEqual(before);
    expect(h.restarts()).toBe(2);
    expect(r.stderr).toContain('handler=runsc state=absent action=none');
    expect(r.stderr).toContain('action=none reason=unchanged');
    expect(r.stderr).toContain('action=uninstall result=clean');
  });

  test('uninstall on a node that never had the runtime changes nothing', () => {
    const h = host(containerd1Config());
    const before = snapshot(h.root);
    uninstall(gvisorEnv(h));
    expect(h.restarts()).toBe(0);
    // only the node lock appeared
    expect(Object.keys(snapshot(h.root)).filter((k) => !(k in before))).toEqual(['run', 'run/shoot-runtimes', 'run/shoot-runtimes/containerd.lock', 'run/shoot-runtimes/containerd.version']);
  });
});

describe('after a TOML library re-encoded config.toml', () => {
  test('version 2: the handler is found whatever the quoting and removed; the rest means the same', () => {
    const original = containerd1Config();
    const h = host(original);
    install(gvisorEnv(h));
    reencode(h.path(CONFIG_PATH));
    expect(h.read(CONFIG_PATH)).toContain(`[plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes."runsc"]`);
    const r = uninstall(gvisorEnv(h));
    expect(r.stderr).toContain('handler=runsc state=present action=remove');
    expect(h.read(CONFIG_PATH)).not.toContain('runsc');
    const fresh = host(original);
    expect(parseToml(h.path(CONFIG_PATH))).toEqual(parseToml(fresh.path(CONFIG_PATH)));
    const runtimes = criRuntimes(containerdDump(h.path(CONFIG_PATH)));
    expect(runtimes.runsc).toBeUndefined();
    expect(runtimes.runc.options.SystemdCgroup).toBe(true);
  });

  test('version 3: the re-encoded import (now a multi-line array) is removed too', () => {
    const original = V3();
    const h = host(original);
    install(gvisorEnv(h));
    reencode(h.path(CONFIG_PATH));
    expect(h.read(CONFIG_PATH)).toContain("imports=[\n    '/etc/containerd/conf.d/*.toml',\n]");
    uninstall(gvisorEnv(h));
    expect(h.read(CONFIG_PATH)).not.toContain('imports');
    const fresh = host(original);
    expect(parseToml(h.path(CONFIG_PATH))).toEqual(parseToml(fresh.path(CONFIG_PATH)));
  });

  test('version 3: a re-encoded array with another import keeps that one', () => {
    const original = V3().replace('version = 3\n', "version = 3\nimports = ['/etc/other/*.toml']\n");
    const h = host(original);
    install(gvisorEnv(h));
    reencode(h.path(CONFIG_PATH));
    uninstall(gvisorEnv(h));
    expect(parseToml(h.path(CONFIG_PATH)).imports).toEqual(['/etc/other/*.toml']);
  });
});

describe('files', () => {
  test('a file another runtime still needs (KEEP_FILES) stays; the others go; nothing else is touched', () => {
    const h = host(containerd1Config());
    install(gvisorEnv(h));
    h.write(`${BINARY_PATH}/someone-elses-tool`, 'theirs\n');
    const r = uninstall(gvisorEnv(h, { KEEP_FILES: 'containerd-shim-runsc-v1\nnot-ours' }));
    expect(r.stderr).toContain('action=keep file=/var/bin/containerruntimes/containerd-shim-runsc-v1 reason=in-KEEP_FILES');
    expect(h.read(`${BINARY_PATH}/containerd-shim-runsc-v1`)).toBe('runsc shim v1\n');
    expect(h.exists(`${BINARY_PATH}/runsc`)).toBe(false);
    expect(h.read(`${BINARY_PATH}/someone-elses-tool`)).toBe('theirs\n');
    expect(verifyRemoved(gvisorEnv(h, { KEEP_FILES: 'containerd-shim-runsc-v1' })).status).toBe(0);

    // once no other runtime needs it, the next uninstall removes it
    const again = uninstall(gvisorEnv(h));
    expect(again.stderr).toContain('action=remove file=/var/bin/containerruntimes/containerd-shim-runsc-v1');
    expect(h.exists(`${BINARY_PATH}/containerd-shim-runsc-v1`)).toBe(false);
    expect(h.read(`${BINARY_PATH}/someone-elses-tool`)).toBe('theirs\n');
    expect(h.restarts()).toBe(2);
  });

  test('a runtime config that differs from RUNTIME_CONFIG_CONTENT (or without it) is still removed', () => {
    const h = host(containerd1Config());
    install(gvisorEnv(h));
    h.write('/etc/containerd/runsc.toml', 'changed by hand\n');
    const r = uninstall(gvisorEnv(h));
    expect(r.stderr).toContain('action=remove file=/etc/containerd/runsc.toml content=differs');
    expect(h.exists('/etc/containerd/runsc.toml')).toBe(false);

    const h2 = host(containerd1Config());
    install(gvisorEnv(h2));
    const env = gvisorEnv(h2);
    delete env.RUNTIME_CONFIG_CONTENT;
    delete env.RUNTIME_TABLES;
    const r2 = uninstall(env);
    expect(r2.stderr).toContain('action=remove file=/etc/containerd/runsc.toml content=unknown');
    expect(h2.exists('/etc/containerd/runsc.toml')).toBe(false);
  });
});

describe('re-adding', () => {
  test.each([
    ['version 2', (): string => containerd1Config()],
    ['version 3', V3],
  ])('%s: install after uninstall restores the runtime, the same bytes as the first install', (_name, config) => {
    const h = host(config());
    install(gvisorEnv(h));
    const first = snapshot(h.path('/etc/containerd'));
    const content = (s: Record<string, string>): Record<string, string> =>
      Object.fromEntries(Object.entries(s).map(([k, v]) => [k, v.replace(/ ino=\d+ mtime=[\d.]+/, '')]));
    uninstall(gvisorEnv(h));
    expect(verifyRemoved(gvisorEnv(h)).status).toBe(0);
    install(gvisorEnv(h));
    expect(runInstaller(gvisorEnv(h), { mode: 'verify' }).status).toBe(0);
    expect(content(snapshot(h.path('/etc/containerd')))).toEqual(content(first));
    for (const name of GVISOR_FILES) expect(h.exists(`${BINARY_PATH}/${name}`)).toBe(true);
    expect(h.restarts()).toBe(3);
  });

  test('install after a partial uninstall (killed before its restart) restores the runtime', () => {
    const h = host(V3());
    install(gvisorEnv(h));
    // SIGKILL the uninstall from inside its restart command: no trap, no rollback
    const r = runInstaller(gvisorEnv(h, { CONTAINERD_RESTART_COMMAND: 'kill -9 $PPID' }), { mode: 'uninstall' });
    expect(r.status).toBeNull();
    expect(h.exists(DROPIN)).toBe(false);
    for (const name of GVISOR_FILES) expect(h.exists(`${BINARY_PATH}/${name}`)).toBe(true);

    const again = install(gvisorEnv(h));
    expect(again.stderr).toContain('action=add-import');
    expect(runInstaller(gvisorEnv(h), { mode: 'verify' }).status).toBe(0);
    expect(v3Runtimes(h).runsc.runtime_type).toBe('io.containerd.runsc.v1');
    expect(h.read(MARKER)).toContain('how=line');
    // and the uninstall that follows still removes the import it added
    uninstall(gvisorEnv(h));
    expect(h.read(CONFIG_PATH)).toBe(V3());
  });
});

test.each([
  ['containerd 1.x (version 2)', (): string => containerd1Config()],
  ['containerd 2.x (version 3)', V3],
])('%s: gVisor uninstalling while Kata installs: the lock orders them, both end as asked', async (_name, config) => {
  for (let round = 0; round < 2; round++) {
    const h = host(config());
    install(gvisorEnv(h));
    const slow = { CONTAINERD_RESTART_COMMAND: 'sleep 0.3; echo restart >>"$RESTART_LOG"' };
    const results = await Promise.all([
      startInstaller(gvisorEnv(h, slow), { mode: 'uninstall' }),
      startInstaller(kataEnv(h, slow)),
      startInstaller(gvisorEnv(h, slow), { mode: 'uninstall', shell: 'busybox' }),
    ]);
    for (const r of results) expect(r.stderr).not.toContain('[FATAL]');
    expect(results.map((r) => r.status)).toEqual([0, 0, 0]);
    expect(results.some((r) => r.stderr.includes('action=wait reason=lock-held'))).toBe(true);
    const effective = effectiveConfig(h);
    const runtimes = effective.version === 3
      ? effective.plugins['io.containerd.cri.v1.runtime'].containerd.runtimes
      : effective.plugins['io.containerd.grpc.v1.cri'].containerd.runtimes;
    expect(Object.keys(runtimes).sort()).toEqual(['kata-clh', 'kata-qemu', 'runc']);
    expect(runInstaller(kataEnv(h), { mode: 'verify' }).status).toBe(0);
    expect(runInstaller(gvisorEnv(h), { mode: 'verify-removed' }).status).toBe(0);
    // install, then one restart per run that changed something (the second uninstall found nothing)
    expect(h.restarts()).toBe(3);
  }
});
