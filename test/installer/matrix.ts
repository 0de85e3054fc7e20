/**
 * The version matrix, shared by one test file per containerd line (matrix-<line>.test.ts, so
 * jest runs the lines in parallel): for each node config, install gVisor, run it again, install
 * Kata on top, uninstall both, and after each step read the result with that line's real
 * `containerd config dump` (imports resolved in the stand-in root). Combinations containerd
 * cannot read are refused with one line and nothing changed.
 */
import * as fs from 'fs';
import * as path from 'path';
import { execFileSync } from 'child_process';
import { containerdOf } from '../support/debian';
import {
  Dump, containerd1Config, dumpRuntimes, dumpSandboxImage, gvisorEnv, hostsRemovedAfterAll, install, kataEnv,
  lineDump, runInstaller, snapshot, uninstall,
} from '../support/host';

/** A node config: config.toml plus drop-ins (host path to text). */
export interface NodeConfig {
  readonly name: string;
  readonly config: () => string;
  readonly dropins?: () => Record<string, string>;
  /** The file's version (absent: 1). */
  readonly version: number;
}

const DROPIN = '/etc/containerd/conf.d/gvisor.toml';
const GARDENER_PAUSE = 'registry.example.com/gardener/pause:3.9';

/** Debian's packaged /etc/containerd/config.toml (version 2, no runtime table). */
function debianPackaged(): string {
  return fs.readFileSync(path.join(containerdOf('1.6').binDir, '..', '..', 'etc', 'containerd', 'config.toml'), 'utf8');
}

let v3Default: string | undefined;

/** containerd 2.x's own `config default` (version 3) as a node would run it: systemd cgroups, a pinned pause image. */
function containerd2Config(imports: string | undefined): string {
  v3Default ??= execFileSync(containerdOf('2.x').containerd, ['config', 'default'], { encoding: 'utf8' });
  let config = v3Default
    .replace(/^(\s*)SystemdCgroup = false$/m, '$1SystemdCgroup = true')
    .replace(/^(\s*)sandbox = '[^']*'$/m, `$1sandbox = '${GARDENER_PAUSE}'`);
  if (!config.includes('SystemdCgroup = true') || !config.includes(GARDENER_PAUSE) || !/^imports = \[\]$/m.test(config)) {
    throw new Error('containerd 2.x config default changed shape');
  }
  config = imports === undefined ? config.replace(/^imports = \[\]\n/m, '') : config.replace(/^imports = \[\]$/m, `imports = ${imports}`);
  return config;
}

/** The drop-in this installer wrote on a version 3 node (left when the node went back to version 2). */
const STALE_V3_DROPIN = [
  '# Written by shoot-runtimes for runtime gvisor; every install rewrites it.',
  'version = 3',
  '',
  '[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runsc]',
  'runtime_type = "io.containerd.runsc.v1"',
  '',
].join('\n');

export const NODE_CONFIGS: readonly NodeConfig[] = [
  { name: 'Gardener-like full default (version 2)', config: containerd1Config, version: 2 },
  { name: "Debian's packaged config.toml (version 2, no runtime table)", config: debianPackaged, version: 2 },
  { name: '2.x default (version 3) with an imports line', config: () => containerd2Config('["/etc/containerd/conf.d/*.toml"]'), version: 3 },
  { name: '2.x default (version 3) with empty imports', config: () => containerd2Config('[]'), version: 3 },
  { name: '2.x default (version 3) without imports', config: () => containerd2Config(undefined), version: 3 },
  { name: 'an empty config.toml (no version key)', config: () => '', version: 1 },
  { name: '2.x default with its version line removed', config: () => containerd2Config(undefined).replace(/^version = 3\n/m, ''), version: 1 },
  {
    name: 'version 2 with a stale version 3 drop-in of this installer',
    config: containerd1Config,
    dropins: () => ({ [DROPIN]: STALE_V3_DROPIN }),
    version: 2,
  },
  { name: '2.x default as version 4', config: () => containerd2Config('[]').replace(/^version = 3$/m, 'version = 4'), version: 4 },
];

/** Why a line cannot read a config version (the installer refuses), or undefined. */
function refusal(major: number, version: number, number: string): RegExp | undefined {
  if (major === 1 && version >= 3) return new RegExp(`is version ${version}, which containerd ${escape(number)} cannot read \\(it needs containerd 2\\.x\\); refusing`);
  if (major === 2 && version === 4 && !/^2\.([3-9]|\d\d)/.test(number)) return new RegExp(`is version 4, which containerd ${escape(number)} cannot read \\(2\\.3 or newer can\\); refusing`);
  return undefined;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every runtime handler of a dump, sorted. */
const handlers = (d: Dump): string[] => Object.keys(dumpRuntimes(d.config)).sort();

/** A dump without what legitimately differs after a round trip: the runc table written out (same meaning) and the imports list. */
function comparable(d: Dump): any {
  const copy = JSON.parse(JSON.stringify(d.config));
  delete copy.imports;
  const runtimes = dumpRuntimes(copy);
  expect(runtimes.runc.runtime_type).toBe('io.containerd.runc.v2');
  delete runtimes.runc;
  return copy;
}

/** The matrix for one containerd line. */
export function describeLine(line: string): void {
  const c = containerdOf(line);
  const host = hostsRemovedAfterAll();

  describe(`containerd ${c.number} (Debian ${c.suite}; ${c.version})`, () => {
    test.each(NODE_CONFIGS.map((n) => [n.name, n] as const))('%s', (_name, node) => {
      const h = host(node.config(), line);
      for (const [file, text] of Object.entries(node.dropins?.() ?? {})) h.write(file, text);

      const refused = refusal(c.major, node.version, c.number);
      if (refused) {
        const before = snapshot(h.path('/etc'));
        const r = runInstaller(gvisorEnv(h));
        expect(r.status).toBe(1);
        expect(r.stderr.split('\n').filter((l) => l !== '')).toEqual([expect.stringMatching(/^\[FATAL\] /)]);
        expect(r.stderr).toMatch(refused);
        expect(snapshot(h.path('/etc'))).toEqual(before);
        expect(h.restarts()).toBe(0);
        return;
      }

      // the stale drop-in makes the original unreadable (1.7) or wrong (2.x): no "before" to compare with
      const original = node.dropins ? undefined : lineDump(h);
      const gvisor = gvisorEnv(h);
      const kata = kataEnv(h);

      install(gvisor);
      const installed = lineDump(h);
      expect(installed.log).not.toMatch(/unknown key[^\n]*runsc/i);
      const runtimes = dumpRuntimes(installed.config);
      expect(runtimes.runsc.runtime_type).toBe('io.containerd.runsc.v1');
      expect(runtimes.runsc.options).toMatchObject({ TypeUrl: 'io.containerd.runsc.v1.options', ConfigPath: '/etc/containerd/runsc.toml' });
      // the default runtime is there, with the node's settings
      expect(runtimes.runc.runtime_type).toBe('io.containerd.runc.v2');
      if (original) {
        expect(runtimes.runc.options?.SystemdCgroup ?? false).toBe(dumpRuntimes(original.config).runc.options?.SystemdCgroup ?? false);
        expect(dumpSandboxImage(installed.config)).toBe(dumpSandboxImage(original.config));
      } else {
        expect(runtimes.runc.options.SystemdCgroup).toBe(true);
        expect(dumpSandboxImage(installed.config)).toBe(GARDENER_PAUSE);
        expect(h.exists(DROPIN)).toBe(false);
      }
      expect(runInstaller(gvisor, { mode: 'verify' }).stderr).toContain('action=verify result=ok');
      expect(h.restarts()).toBe(1);

      const before = snapshot(h.root);
      install(gvisor);
      expect(snapshot(h.root)).toEqual(before);
      expect(h.restarts()).toBe(1);

      install(kata);
      const both = lineDump(h);
      expect(both.log).not.toMatch(/unknown key[^\n]*(runsc|kata)/i);
      expect(handlers(both)).toEqual(['kata-clh', 'kata-qemu', 'runc', 'runsc']);
      expect(dumpRuntimes(both.config)['kata-qemu'].pod_annotations).toEqual(['io.katacontainers.*']);
      expect(runInstaller(gvisor, { mode: 'verify' }).status).toBe(0);
      expect(runInstaller(kata, { mode: 'verify' }).status).toBe(0);
      expect(h.restarts()).toBe(2);

      uninstall(gvisor);
      uninstall(kata);
      const removed = lineDump(h);
      expect(handlers(removed)).toEqual(['runc']);
      if (original) expect(comparable(removed)).toEqual(comparable(original));
      expect(runInstaller(gvisor, { mode: 'verify-removed' }).status).toBe(0);
      expect(runInstaller(kata, { mode: 'verify-removed' }).status).toBe(0);
      expect(h.restarts()).toBe(4);
    });
  });
}

