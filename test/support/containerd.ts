/**
 * A private containerd for the end-to-end tests: one of Debian's containerd lines (unpacked, never
 * installed) serving the CRI API on a socket in a temp directory, on the config.toml of a
 * stand-in node root.
 *
 * It runs in its own mount and PID namespaces, created by a small holder process:
 * - /etc, /var, /opt and /run are overlays whose writes land on a private tmpfs, so nothing
 *   containerd, its shims or runc write there reaches the machine;
 * - the node paths that matter (/etc/containerd, the runtimes' binaryPath) are bind mounts of the
 *   stand-in node root, so every path in config.toml resolves as it would on the node;
 * - containerd's root and state directories live on that tmpfs too.
 * Killing the holder (the namespace's init) kills every process in it (containerd, shims, pause
 * containers); the mounts go with the namespace. The holder also exits when the test process
 * dies (it waits for its stdin to close). Sandbox cgroups live under one parent that
 * `destroy()` removes.
 */
import { ChildProcess, spawn, spawnSync } from 'child_process';
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { CriClient } from './cri/client';
import { busyboxBinary, containerdOf, ensureDebianTools, runcBinary } from './debian';

/** The node directories shadowed by private overlays inside the namespace. */
const OVERLAID = ['/etc', '/var', '/opt', '/run'];

export interface E2eTools {
  /** containerd of the line under test. */
  readonly containerd: string;
  /** What it prints for `containerd --version`. */
  readonly version: string;
  /** containerd's client, for image imports. */
  readonly ctr: string;
  /** The directory holding containerd and its runc shim (on containerd's PATH). */
  readonly containerdBinDir: string;
  /** Debian's runc binary. */
  readonly runc: string;
  /** Debian's static busybox. */
  readonly busybox: string;
}

function sh(cmd: string, args: readonly string[], options: { cwd?: string; timeout?: number } = {}): string {
  const result = spawnSync(cmd, args, { cwd: options.cwd, encoding: 'utf8', timeout: options.timeout ?? 120_000 });
  if (result.error) throw new Error(`${cmd} ${args.join(' ')}: ${result.error.message}`);
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} exited ${result.status ?? result.signal}:\n${result.stdout}${result.stderr}`);
  }
  return result.stdout;
}

/** Fetches (once) everything the end-to-end tests run: containerd of a line, ctr, runc, busybox. */
export function ensureE2eTools(line = '1.6'): E2eTools {
  ensureDebianTools();
  const c = containerdOf(line);
  const tools: E2eTools = {
    containerd: c.containerd,
    version: c.version,
    ctr: c.ctr,
    containerdBinDir: c.binDir,
    runc: runcBinary(),
    busybox: busyboxBinary(),
  };
  for (const [what, file] of Object.entries(tools)) {
    if (what !== 'version' && !fs.existsSync(file)) throw new Error(`e2e tool ${what} is missing: ${file}`);
  }
  if (!fs.existsSync(path.join(tools.containerdBinDir, 'containerd-shim-runc-v2'))) {
    throw new Error(`containerd-shim-runc-v2 is not next to ${c.containerd}`);
  }
  return tools;
}

/**
 * Why this machine cannot run containers at all (not root, no mount or PID namespaces, no
 * overlayfs, no writable cgroup hierarchy), or `undefined` when it can.
 */
export function cannotRunContainers(): string | undefined {
  if (os.platform() !== 'linux') return `containers need Linux, this is ${os.platform()}`;
  if (process.getuid?.() !== 0) return 'starting containerd and containers needs root (uid 0)';
  for (const tool of ['unshare', 'nsenter', 'mount']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed`;
  }
  const probe = [
    'set -e',
    'd=$(mktemp -d)',
    'trap \'rm -rf "$d"\' EXIT',
    'mount -t tmpfs tmpfs "$d"',
    'mkdir "$d/l" "$d/u" "$d/w" "$d/m"',
    'mount -t overlay overlay -o "lowerdir=$d/l,upperdir=$d/u,workdir=$d/w" "$d/m"',
    'umount "$d/m"',
    'umount "$d"',
  ].join('\n');
  const ns = spawnSync('unshare', ['--mount', '--pid', '--fork', '--mount-proc', '--propagation', 'private', 'sh', '-c', probe], { encoding: 'utf8', timeout: 20_000 });
  if (ns.status !== 0) {
    return `cannot create mount and PID namespaces with a tmpfs and an overlay mount (${(ns.stderr || ns.error?.message || '').trim()})`;
  }
  const hierarchy = cgroupHierarchies()[0];
  if (!hierarchy) return 'no cgroup hierarchy is mounted under /sys/fs/cgroup';
  const probeCgroup = path.join(hierarchy, `shoot-runtimes-probe-${process.pid}`);
  try {
    fs.mkdirSync(probeCgroup);
    fs.rmdirSync(probeCgroup);
  } catch (error) {
    return `cannot create a cgroup under ${hierarchy} (${(error as Error).message})`;
  }
  return undefined;
}

/** Every mounted cgroup hierarchy (the v2 root, or each v1 controller directory). */
function cgroupHierarchies(): string[] {
  const base = '/sys/fs/cgroup';
  if (fs.existsSync(path.join(base, 'cgroup.controllers'))) return [base];
  if (!fs.existsSync(base)) return [];
  return fs.readdirSync(base)
    .map((name) => path.join(base, name))
    .filter((dir) => fs.existsSync(path.join(dir, 'cgroup.procs')));
}

/**
 * A Gardener-like config.toml for the line under test: its full `containerd config default`
 * (version 2 on 1.x, version 3 on 2.x) with the conf.d import gardener-node-agent writes, plus
 * what this sandboxed machine needs: `restrict_oom_score_adj = true` and the locally imported
 * `sandboxImage` as the pause image (`sandbox_image` on 1.x, `pinned_images.sandbox` on 2.x).
 */
export function nodeContainerdConfig(tools: E2eTools, sandboxImage: string): string {
  const defaults = sh(tools.containerd, ['config', 'default']);
  const replacements: [RegExp, string][] = [
    [/^imports = \[\]$/m, 'imports = ["/etc/containerd/conf.d/*.toml"]'],
    [/^(\s*)restrict_oom_score_adj = false$/m, '$1restrict_oom_score_adj = true'],
    /^version = 3$/m.test(defaults)
      ? [/^(\s*)sandbox = '[^']*'$/m, `$1sandbox = '${sandboxImage}'`]
      : [/^(\s*)sandbox_image = "[^"]*"$/m, `$1sandbox_image = "${sandboxImage}"`],
  ];
  let config = defaults;
  for (const [pattern, replacement] of replacements) {
    if (!pattern.test(config)) throw new Error(`containerd config default has no line matching ${pattern}`);
    config = config.replace(pattern, replacement);
  }
  return `# managed by gardener-node-agent\n${config}`;
}

function sha256(data: Buffer): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

const TAR_FLAGS = ['--sort=name', '--owner=0', '--group=0', '--numeric-owner', '--mtime=@0', '--format=gnu'];

/**
 * An OCI image layout archive (for `ctr images import`) of a pause-like sandbox image: one
 * uncompressed layer with a static busybox and `/pause`, a shell loop that sleeps until it is
 * signalled. Built in `dir`; returns the archive's path.
 */
export function buildSandboxImage(busybox: string, dir: string, name: string): string {
  const rootfs = path.join(dir, 'rootfs');
  const layout = path.join(dir, 'layout');
  const blobs = path.join(layout, 'blobs', 'sha256');
  fs.mkdirSync(path.join(rootfs, 'bin'), { recursive: true });
  fs.mkdirSync(blobs, { recursive: true });
  fs.copyFileSync(busybox, path.join(rootfs, 'bin', 'busybox'));
  fs.chmodSync(path.join(rootfs, 'bin', 'busybox'), 0o755);
  fs.writeFileSync(path.join(rootfs, 'pause'), [
    '#!/bin/busybox sh',
    '# a pause container: idle until signalled',
    'trap "exit 0" TERM INT',
    'while :; do /bin/busybox sleep 3600 & wait $!; done',
    '',
  ].join('\n'), { mode: 0o755 });
  const layerTar = path.join(dir, 'layer.tar');
  sh('tar', [...TAR_FLAGS, '-C', rootfs, '-cf', layerTar, 'bin', 'pause']);

  const blob = (content: Buffer): { digest: string; size: number } => {
    const digest = sha256(content);
    fs.writeFileSync(path.join(blobs, digest), content);
    return { digest: `sha256:${digest}`, size: content.length };
  };
  const layer = blob(fs.readFileSync(layerTar));
  const config = blob(Buffer.from(JSON.stringify({
    architecture: goArch(),
    os: 'linux',
    config: { Entrypoint: ['/pause'], WorkingDir: '/' },
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  })));
  const manifest = blob(Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  })));
  fs.writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  fs.writeFileSync(path.join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      ...manifest,
      platform: { architecture: goArch(), os: 'linux' },
      annotations: {
        'io.containerd.image.name': name,
        'org.opencontainers.image.ref.name': name.slice(name.lastIndexOf(':') + 1),
      },
    }],
  }));
  const archive = path.join(dir, 'sandbox-image.tar');
  sh('tar', [...TAR_FLAGS, '-C', layout, '-cf', archive, 'oci-layout', 'index.json', 'blobs']);
  return archive;
}

function goArch(): string {
  return ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;
}

const WORK_DIR_PREFIX = 'shoot-runtimes-e2e-';
const CGROUP_PREFIX = '/shoot-runtimes-e2e-';

/**
 * A new temp directory for one test process (`shoot-runtimes-e2e-<pid>-XXXXXX`), after removing
 * what earlier test processes that were killed outright (no afterAll ran) left: their temp
 * directories and empty sandbox cgroups. Their processes and mounts went with their namespaces.
 */
export function e2eWorkDir(): string {
  const stale = (name: string, prefix: string): boolean => {
    const match = new RegExp(`^${prefix.replace(/^\//, '')}(\\d+)-`).exec(name);
    return match !== null && Number(match[1]) !== process.pid && !alive(Number(match[1]));
  };
  for (const name of fs.readdirSync(os.tmpdir())) {
    if (stale(name, WORK_DIR_PREFIX)) fs.rmSync(path.join(os.tmpdir(), name), { recursive: true, force: true });
  }
  for (const hierarchy of cgroupHierarchies()) {
    for (const name of fs.readdirSync(hierarchy)) {
      if (stale(name, CGROUP_PREFIX)) removeCgroupTree(path.join(hierarchy, name));
    }
  }
  return fs.mkdtempSync(path.join(os.tmpdir(), `${WORK_DIR_PREFIX}${process.pid}-`));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface PrivateContainerdOptions {
  readonly tools: E2eTools;
  /** The stand-in node's filesystem root; its etc/containerd/config.toml is the config. */
  readonly hostRoot: string;
  /** Node directories bind-mounted from the host root (besides /etc/containerd). */
  readonly nodeDirs: readonly string[];
  /** Directories put first on containerd's PATH, as gardener-node-agent's drop-in does. */
  readonly extraPath: readonly string[];
  /** @default e2eWorkDir() */
  readonly workDir?: string;
}

const HOLDER_SCRIPT = `
set -eu
private=$1
shift
mount -t tmpfs -o mode=0700 shoot-runtimes-e2e "$private"
for dir in ${OVERLAID.join(' ')}; do
  name=\${dir#/}
  mkdir -p "$private/overlay/$name/upper" "$private/overlay/$name/work"
  mount -t overlay overlay -o "lowerdir=$dir,upperdir=$private/overlay/$name/upper,workdir=$private/overlay/$name/work" "$dir"
done
while [ $# -gt 1 ]; do
  mkdir -p "$2"
  mount --bind "$1" "$2"
  shift 2
done
echo ready
# hold the namespaces until stdin closes: teardown, or the test process is gone
while read -r _; do :; done
`;

/** containerd in private namespaces, on a stand-in node root. See the module comment. */
export class PrivateContainerd {
  /** Creates the namespaces (nothing runs in them yet). */
  public static async create(options: PrivateContainerdOptions): Promise<PrivateContainerd> {
    const node = new PrivateContainerd(options);
    try {
      await node.startHolder();
    } catch (error) {
      await node.destroy();
      throw error;
    }
    return node;
  }

  public readonly workDir: string;
  /** The CRI socket (reachable from outside the namespaces). */
  public readonly socket: string;
  /** containerd's stdout and stderr, across restarts. */
  public readonly logFile: string;
  /** Sandboxes should use this cgroup parent: destroy() removes it. */
  public readonly cgroupParent = `${CGROUP_PREFIX}${process.pid}-${crypto.randomBytes(3).toString('hex')}`;

  private readonly privateDir: string;
  private holder?: ChildProcess;
  private holderInitPid?: number;
  private daemon?: ChildProcess;
  private client?: CriClient;
  private starts = 0;

  private constructor(private readonly options: PrivateContainerdOptions) {
    this.workDir = options.workDir ?? e2eWorkDir();
    const shadowed = OVERLAID.find((dir) => this.workDir === dir || this.workDir.startsWith(`${dir}/`));
    if (shadowed) throw new Error(`the e2e work dir ${this.workDir} must not be under ${shadowed} (set TMPDIR elsewhere)`);
    this.socket = path.join(this.workDir, 'containerd.sock');
    this.logFile = path.join(this.workDir, 'containerd.log');
    this.privateDir = path.join(this.workDir, 'private');
    fs.mkdirSync(this.privateDir, { recursive: true });
    fs.writeFileSync(this.logFile, '');
  }

  /** The CRI client of the running containerd. */
  public get cri(): CriClient {
    if (!this.client) throw new Error('containerd is not running');
    return this.client;
  }

  public get running(): boolean {
    return this.daemon !== undefined && this.daemon.exitCode === null && this.daemon.signalCode === null;
  }

  /** Starts containerd on /etc/containerd/config.toml and waits until the CRI API answers. */
  public async start(timeoutMs = 30_000): Promise<void> {
    if (this.running) throw new Error('containerd is already running');
    if (!this.holderInitPid) throw new Error('the namespaces are gone');
    this.starts += 1;
    fs.appendFileSync(this.logFile, `\n===== shoot-runtimes e2e: containerd start #${this.starts} =====\n`);
    const log = fs.openSync(this.logFile, 'a');
    const { tools, extraPath } = this.options;
    const daemon = spawn('nsenter', [
      '--target', String(this.holderInitPid), '--mount', '--pid', '--',
      tools.containerd,
      '--config', '/etc/containerd/config.toml',
      '--address', this.socket,
      '--root', path.join(this.privateDir, 'root'),
      '--state', path.join(this.privateDir, 'state'),
      '--log-level', 'debug',
    ], {
      detached: true,
      stdio: ['ignore', log, log],
      env: {
        PATH: [...extraPath, tools.containerdBinDir, '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'].join(':'),
        HOME: '/root',
      },
    });
    fs.closeSync(log);
    this.daemon = daemon;
    const deadline = Date.now() + timeoutMs;
    let lastError: unknown;
    while (Date.now() < deadline) {
      if (!this.running) throw new Error(`containerd exited (${daemon.exitCode ?? daemon.signalCode}) while starting`);
      if (fs.existsSync(this.socket)) {
        const client = new CriClient(this.socket, 5_000);
        try {
          await client.version();
          this.client = new CriClient(this.socket, 60_000);
          client.close();
          return;
        } catch (error) {
          lastError = error;
          client.close();
        }
      }
      await sleep(100);
    }
    throw new Error(`containerd's CRI API did not answer within ${timeoutMs} ms: ${String(lastError)}`);
  }

  /** Stops containerd (SIGTERM, then SIGKILL); running shims and sandboxes live on. */
  public async stop(timeoutMs = 15_000): Promise<void> {
    this.client?.close();
    this.client = undefined;
    const daemon = this.daemon;
    this.daemon = undefined;
    if (!daemon || daemon.exitCode !== null || daemon.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => daemon.once('exit', () => resolve()));
    killGroup(daemon.pid, 'SIGTERM');
    if (await within(exited, timeoutMs)) return;
    killGroup(daemon.pid, 'SIGKILL');
    await within(exited, 5_000);
  }

  public async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** `ctr -n k8s.io images import` of an OCI archive (unpacked for the CRI's snapshotter). */
  public importImage(archive: string): string {
    return sh(this.options.tools.ctr, ['--address', this.socket, '--namespace', 'k8s.io', 'images', 'import', archive]);
  }

  /** containerd's log so far (every start). */
  public log(): string {
    return fs.existsSync(this.logFile) ? fs.readFileSync(this.logFile, 'utf8') : '';
  }

  /** The log's last lines and every error line: what a failure message should show. */
  public logExcerpt(lines = 60): string {
    const all = this.log().split('\n');
    const errors = all.filter((l) => /level=(error|fatal|panic)/.test(l)).slice(-20);
    return [
      `--- containerd log (${this.logFile}): error lines ---`, ...errors,
      `--- containerd log: last ${lines} lines ---`, ...all.slice(-lines),
    ].join('\n');
  }

  /**
   * Removes every sandbox left (best effort), stops containerd, kills everything in the
   * namespaces, removes the sandbox cgroups and the work directory. Safe to call twice.
   */
  public async destroy(): Promise<string[]> {
    const problems: string[] = [];
    if (this.client && this.running) {
      try {
        for (const sandbox of await this.client.listPodSandbox()) {
          await this.client.stopPodSandbox(sandbox.id).catch(() => undefined);
          await this.client.removePodSandbox(sandbox.id).catch(() => undefined);
        }
      } catch (error) {
        problems.push(`listing sandboxes: ${(error as Error).message}`);
      }
    }
    await this.stop();
    const pidNamespace = this.holderInitPid ? readLink(`/proc/${this.holderInitPid}/ns/pid`) : undefined;
    if (this.holderInitPid) {
      try {
        process.kill(this.holderInitPid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (this.holder) {
      const holder = this.holder;
      holder.stdin?.destroy();
      if (holder.exitCode === null && holder.signalCode === null) {
        const exited = new Promise<void>((resolve) => holder.once('exit', () => resolve()));
        killGroup(holder.pid, 'SIGKILL');
        await within(exited, 5_000);
      }
    }
    this.holder = undefined;
    this.holderInitPid = undefined;
    if (pidNamespace) {
      const left = await waitUntil(() => processesIn(pidNamespace).length === 0, 10_000);
      if (!left) problems.push(`processes left in the namespace: ${processesIn(pidNamespace).join(', ')}`);
    }
    for (const hierarchy of cgroupHierarchies()) {
      const dir = path.join(hierarchy, this.cgroupParent);
      if (!fs.existsSync(dir)) continue;
      if (!await waitUntil(() => removeCgroupTree(dir), 10_000)) problems.push(`cgroup ${dir} could not be removed`);
    }
    try {
      fs.rmSync(this.workDir, { recursive: true, force: true, maxRetries: 3 });
    } catch (error) {
      problems.push(`removing ${this.workDir}: ${(error as Error).message}`);
    }
    return problems;
  }

  private async startHolder(): Promise<void> {
    const { hostRoot, nodeDirs } = this.options;
    const binds: string[] = [];
    for (const dir of ['/etc/containerd', ...nodeDirs]) {
      fs.mkdirSync(path.join(hostRoot, dir), { recursive: true });
      binds.push(path.join(hostRoot, dir), dir);
    }
    const holder = spawn('unshare', [
      '--mount', '--pid', '--fork', '--mount-proc', '--propagation', 'private',
      'sh', '-c', HOLDER_SCRIPT, 'holder', this.privateDir, ...binds,
    ], { detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    this.holder = holder;
    let output = '';
    holder.stdout!.on('data', (d) => { output += d; });
    holder.stderr!.on('data', (d) => { output += d; });
    const ready = await waitUntil(() => output.includes('ready\n') || holder.exitCode !== null || holder.signalCode !== null, 15_000);
    if (!ready || !output.includes('ready\n')) {
      throw new Error(`could not set up the private namespaces:\n${output}`);
    }
    // the namespace's init is unshare's only child
    const children = childrenOf(holder.pid!);
    if (children.length !== 1) throw new Error(`unshare should have one child, not: ${children.join(' ')}`);
    this.holderInitPid = children[0];
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Whether `promise` settles within `ms`. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function waitUntil(condition: () => boolean, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (condition()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(100);
  }
}

function killGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (!pid) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // the group is gone
  }
}

/** The PIDs whose parent is `pid`. */
function childrenOf(pid: number): number[] {
  const list = `/proc/${pid}/task/${pid}/children`;
  if (fs.existsSync(list)) return fs.readFileSync(list, 'utf8').trim().split(/\s+/).filter((p) => p !== '').map(Number);
  return fs.readdirSync('/proc').filter((name) => /^\d+$/.test(name)).filter((name) => {
    try {
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid;
    } catch {
      return false;
    }
  }).map(Number);
}

function readLink(file: string): string | undefined {
  try {
    return fs.readlinkSync(file);
  } catch {
    return undefined;
  }
}

/** Host PIDs of the processes in a PID namespace (by its `pid:[inode]` link). */
function processesIn(pidNamespace: string): number[] {
  return fs.readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((name) => readLink(`/proc/${name}/ns/pid`) === pidNamespace)
    .map(Number);
}

/** Removes a cgroup directory and its children, deepest first; true when it is gone. */
function removeCgroupTree(dir: string): boolean {
  try {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      if (entry.isDirectory()) removeCgroupTree(path.join(dir, entry.name));
    }
    fs.rmdirSync(dir);
  } catch {
    // busy or gone
  }
  return !fs.existsSync(dir);
}
