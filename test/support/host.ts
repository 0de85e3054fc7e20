/**
 * Stand-in hosts for the installer tests: a temp directory holding a host root (config.toml,
 * binary path, lock dir) and an artifact dir, plus helpers that run the real install.sh against
 * it as a child process, with every input passed as an environment variable.
 */
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BUSYBOX_PATH_DIR, busyboxBinary, containerdBinary, containerdOf } from './debian';

export const INSTALL_SCRIPT = path.resolve(__dirname, '..', '..', 'src', 'installer', 'install.sh');
const TOML_TOOL = path.resolve(__dirname, '..', 'installer', 'fixtures', 'toml_tool.py');

export const CONFIG_PATH = '/etc/containerd/config.toml';
export const BINARY_PATH = '/var/bin/containerruntimes';

/** The shells the script must run under. */
export type Shell = 'dash' | 'busybox';

export interface Host {
  /** The temp directory holding everything below. */
  readonly dir: string;
  /** The stand-in host root (HOST_ROOT). */
  readonly root: string;
  /** The artifact directory (ARTIFACT_DIR). */
  readonly artifacts: string;
  /** The file the test restart command appends one line to per restart. */
  readonly restartLog: string;
  /** The host path under the host root. */
  path(hostPath: string): string;
  read(hostPath: string): string;
  write(hostPath: string, content: string): void;
  exists(hostPath: string): boolean;
  /** How many times the restart command ran. */
  restarts(): number;
  /** The containerd line the node runs (CONTAINERD_VERSION_COMMAND asks its real binary). */
  readonly line: string;
}

/**
 * The line a node with this config.toml runs unless a test says otherwise: 2.x for a version 3
 * or 4 file (which only 2.x reads), else 1.6.
 */
function defaultLine(config?: string): string {
  return config !== undefined && /^\s*version\s*=\s*[34]\b/m.test(config) ? '2.x' : '1.6';
}

/** A host root with the given config.toml (omitted: none) and an empty artifact dir. */
export function makeHost(config?: string, line = defaultLine(config)): Host {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoot-runtimes-installer-'));
  const root = path.join(dir, 'host');
  const artifacts = path.join(dir, 'artifacts');
  fs.mkdirSync(root);
  fs.mkdirSync(artifacts);
  const restartLog = path.join(dir, 'restarts.log');
  const host: Host = {
    dir,
    root,
    artifacts,
    restartLog,
    path: (p) => path.join(root, p),
    read: (p) => fs.readFileSync(path.join(root, p), 'utf8'),
    write: (p, content) => {
      fs.mkdirSync(path.dirname(path.join(root, p)), { recursive: true });
      fs.writeFileSync(path.join(root, p), content);
    },
    exists: (p) => fs.existsSync(path.join(root, p)),
    restarts: () => (fs.existsSync(restartLog) ? fs.readFileSync(restartLog, 'utf8').split('\n').filter((l) => l !== '').length : 0),
    line,
  };
  if (config !== undefined) host.write(CONFIG_PATH, config);
  return host;
}

/** A `makeHost` for one test file: every host it makes is removed after the file's tests. */
export function hostsRemovedAfterAll(): (config?: string, line?: string) => Host {
  const hosts: Host[] = [];
  afterAll(() => hosts.forEach(removeHost));
  return (config, line) => {
    const h = makeHost(config, line);
    hosts.push(h);
    return h;
  };
}

/** Writes artifact files (name to content) into the host's artifact dir. */
export function addArtifacts(host: Host, files: Record<string, string>): void {
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(host.artifacts, name), content);
}

/** The environment every test run shares: the seams point into the temp host. */
function baseEnv(host: Host): Record<string, string> {
  return {
    HOST_ROOT: host.root,
    ARTIFACT_DIR: host.artifacts,
    BINARY_PATH,
    POOL_NAME: 'sandbox',
    RESTART_LOG: host.restartLog,
    // data reaches the command through the environment, never through its text
    CONTAINERD_RESTART_COMMAND: 'echo restart >>"$RESTART_LOG"',
    ...versionSeam(host),
  };
}

/** CONTAINERD_VERSION_COMMAND for a stand-in host: the real containerd of the host's line answers. */
export function versionSeam(host: Host): Record<string, string> {
  return { NODE_CONTAINERD: containerdOf(host.line).containerd, CONTAINERD_VERSION_COMMAND: '"$NODE_CONTAINERD" --version' };
}

export const GVISOR_TABLES = [
  '[runsc]',
  'runtime_type = "io.containerd.runsc.v1"',
  '',
  '[runsc.options]',
  'TypeUrl = "io.containerd.runsc.v1.options"',
  'ConfigPath = "/etc/containerd/runsc.toml"',
  '',
].join('\n');

export const GVISOR_CONFIG = '[runsc_config]\n  net-raw = "true"\n';

/** gVisor as the generator configures it (handler runsc, two files, runsc.toml). */
export function gvisorEnv(host: Host, extra: Record<string, string> = {}): Record<string, string> {
  addArtifacts(host, { 'runsc': 'runsc binary v1\n', 'containerd-shim-runsc-v1': 'runsc shim v1\n' });
  return {
    ...baseEnv(host),
    RUNTIME_NAME: 'gvisor',
    RUNTIME_FILES: 'runsc\ncontainerd-shim-runsc-v1',
    RUNTIME_HANDLERS: 'runsc',
    RUNTIME_TABLES: GVISOR_TABLES,
    RUNTIME_CONFIG_PATH: '/etc/containerd/runsc.toml',
    RUNTIME_CONFIG_CONTENT: GVISOR_CONFIG,
    ...extra,
  };
}

export const KATA_TABLES = [
  '[kata-qemu]',
  'runtime_type = "io.containerd.kata-qemu.v2"',
  'privileged_without_host_devices = true',
  'pod_annotations = ["io.katacontainers.*"]',
  '',
  '[kata-qemu.options]',
  'ConfigPath = "/opt/kata/share/defaults/kata-containers/configuration-qemu.toml"',
  '',
  '[kata-clh]',
  'runtime_type = "io.containerd.kata-clh.v2"',
  'privileged_without_host_devices = true',
  '',
  '[kata-clh.options]',
  'ConfigPath = "/opt/kata/share/defaults/kata-containers/configuration-clh.toml"',
  '',
].join('\n');

/** Kata Containers with two handlers (qemu, clh) and one shim. */
export function kataEnv(host: Host, extra: Record<string, string> = {}): Record<string, string> {
  addArtifacts(host, { 'containerd-shim-kata-v2': 'kata shim\n' });
  return {
    ...baseEnv(host),
    RUNTIME_NAME: 'kata-containers',
    RUNTIME_FILES: 'containerd-shim-kata-v2',
    RUNTIME_HANDLERS: 'kata-qemu kata-clh',
    RUNTIME_TABLES: KATA_TABLES,
    ...extra,
  };
}

export interface RunResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface RunOptions {
  readonly mode?: string;
  readonly shell?: Shell;
}

function command(options: RunOptions, env: Record<string, string>): { file: string; args: string[]; env: NodeJS.ProcessEnv } {
  const args = [INSTALL_SCRIPT, ...(options.mode ? [options.mode] : [])];
  if (options.shell === 'busybox') {
    return { file: busyboxBinary(), args: ['sh', ...args], env: { ...env, PATH: BUSYBOX_PATH_DIR } };
  }
  return { file: '/usr/bin/dash', args, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } };
}

/** Runs install.sh (dash unless told otherwise) with exactly the given environment. */
export function runInstaller(env: Record<string, string>, options: RunOptions = {}): RunResult {
  const c = command(options, env);
  const r = spawnSync(c.file, c.args, { env: c.env, encoding: 'utf8', timeout: 60000, maxBuffer: 64 * 1024 * 1024 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Starts install.sh without waiting (to run several at once). */
export function startInstaller(env: Record<string, string>, options: RunOptions = {}): Promise<RunResult> {
  const c = command(options, env);
  return new Promise((resolve, reject) => {
    const child = spawn(c.file, c.args, { env: c.env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Runs install.sh and fails the test with its output unless it exits 0. */
export function install(env: Record<string, string>, options: RunOptions = {}): RunResult {
  const r = runInstaller(env, options);
  if (r.status !== 0) throw new Error(`install.sh exited ${r.status}:\n${r.stderr}`);
  return r;
}

/** Runs `install.sh uninstall` and fails the test with its output unless it exits 0. */
export function uninstall(env: Record<string, string>, options: RunOptions = {}): RunResult {
  const r = runInstaller(env, { ...options, mode: 'uninstall' });
  if (r.status !== 0) throw new Error(`install.sh uninstall exited ${r.status}:\n${r.stderr}`);
  return r;
}

/**
 * A PATH (for dash runs) whose `tool` fails, like on a read-only filesystem, whenever one of its
 * arguments contains `needle`, and otherwise runs the real tool: a failure midway that root (who
 * ignores file modes) cannot provoke with chmod.
 */
export function failingToolPath(host: Host, tool: string, needle: string): string {
  const real = execFileSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).trim();
  const dir = path.join(host.dir, `failing-${tool}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, tool), [
    '#!/bin/sh',
    'for a in "$@"; do',
    `  case $a in *${JSON.stringify(needle)}*) echo "${tool}: $a: Read-only file system" >&2; exit 1 ;; esac`,
    'done',
    `exec ${real} "$@"`,
    '',
  ].join('\n'), { mode: 0o755 });
  return `${dir}:${process.env.PATH ?? '/usr/bin:/bin'}`;
}

function tomlTool(...args: string[]): string {
  return execFileSync('python3', [TOML_TOOL, ...args], { encoding: 'utf8' });
}

/** A TOML file parsed by Python's tomllib. */
export function parseToml(file: string): any {
  return JSON.parse(tomlTool('json', file));
}

/** config.toml merged with its imports (globs resolved under the host root), as containerd 2.x does. */
export function effectiveConfig(host: Host, configPath = CONFIG_PATH): any {
  return JSON.parse(tomlTool('effective', host.root, configPath));
}

/** Re-encodes a TOML file the way a TOML library would (other quoting and order, no comments). */
export function reencode(file: string): void {
  tomlTool('reencode', file);
}

/** `containerd --config FILE config dump` (containerd 1.6), parsed. */
export function containerdDump(file: string): any {
  const dump = execFileSync(containerdBinary(), ['--config', file, 'config', 'dump'], { encoding: 'utf8' });
  const out = path.join(path.dirname(file), `.dump-${process.pid}.toml`);
  fs.writeFileSync(out, dump);
  try {
    return parseToml(out);
  } finally {
    fs.rmSync(out);
  }
}

export interface Dump {
  /** The effective config, parsed. */
  readonly config: any;
  /** What containerd logged while reading it (warnings such as "Ignoring unknown key"). */
  readonly log: string;
}

/**
 * `containerd config dump` of the host's config.toml by the real containerd of `line`, with
 * imports resolved in the stand-in root: it runs in a private mount namespace (`unshare -m`)
 * where the host root's /etc is bind-mounted over /etc. Throws with containerd's output when it
 * cannot read the config.
 */
export function lineDump(host: Host, line = host.line): Dump {
  const binary = containerdOf(line).containerd;
  const script = 'mount --bind "$1/etc" /etc && exec "$2" --config /etc/containerd/config.toml config dump';
  const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', host.root, binary], { encoding: 'utf8', timeout: 30_000 });
  if (r.status !== 0 || !/^version = /m.test(r.stdout)) {
    throw new Error(`containerd ${line} cannot read ${host.path(CONFIG_PATH)} (exit ${r.status}):\n${r.stderr}${r.stdout.slice(0, 500)}`);
  }
  const out = path.join(host.dir, `.dump-${process.pid}.toml`);
  fs.writeFileSync(out, r.stdout);
  try {
    return { config: parseToml(out), log: r.stderr };
  } finally {
    fs.rmSync(out);
  }
}

/** The CRI runtimes table of a dump, whichever layout the line uses. */
export function dumpRuntimes(dump: any): Record<string, any> {
  const cri = dump.plugins['io.containerd.cri.v1.runtime'] ?? dump.plugins['io.containerd.grpc.v1.cri'];
  return cri.containerd.runtimes;
}

/** The pod sandbox (pause) image of a dump, whichever layout the line uses. */
export function dumpSandboxImage(dump: any): string {
  const images = dump.plugins['io.containerd.cri.v1.images'];
  return images ? images.pinned_images.sandbox : dump.plugins['io.containerd.grpc.v1.cri'].sandbox_image;
}

let defaultConfig: string | undefined;

/**
 * A Gardener-like containerd 1.x config.toml (version 2): the full `containerd config default`
 * of containerd 1.6, with SystemdCgroup = true, a custom sandbox_image and the conf.d import.
 */
export function containerd1Config(): string {
  defaultConfig ??= execFileSync(containerdBinary(), ['config', 'default'], { encoding: 'utf8' });
  const patched = defaultConfig
    .replace(/SystemdCgroup = false/, 'SystemdCgroup = true')
    .replace(/sandbox_image = "[^"]*"/, 'sandbox_image = "registry.example.com/gardener/pause:3.9"')
    .replace(/^imports = \[\]$/m, 'imports = ["/etc/containerd/conf.d/*.toml"]');
  if (!patched.includes('SystemdCgroup = true') || !patched.includes('pause:3.9') || !patched.includes('conf.d')) {
    throw new Error('containerd config default changed shape');
  }
  return `# managed by gardener-node-agent\n${patched}`;
}

/** The CRI runtimes table of a containerd 1.x (v2) config. */
export function criRuntimes(config: any): Record<string, any> {
  return config.plugins['io.containerd.grpc.v1.cri'].containerd.runtimes;
}

/** Removes the host's temp directory. */
export function removeHost(host: Host): void {
  fs.rmSync(host.dir, { recursive: true, force: true });
}

/**
 * Every file and directory under a root with its mode, inode, mtime and content: equal snapshots
 * mean nothing was written, renamed or touched.
 */
export function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (dir: string): void => {
    for (const name of fs.readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = fs.lstatSync(p);
      const rel = path.relative(root, p);
      if (st.isDirectory()) {
        out[rel] = `dir ${st.mode.toString(8)}`;
        walk(p);
      } else {
        out[rel] = `${st.mode.toString(8)} ino=${st.ino} mtime=${st.mtimeMs} ${fs.readFileSync(p).toString('base64')}`;
      }
    }
  };
  walk(root);
  return out;
}
