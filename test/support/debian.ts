/**
 * Host tools the installer tests need, taken from Debian packages and unpacked into `.cache/debian`
 * (git-ignored), so nothing is installed on the machine.
 *
 * Packages come from Debian's own archive through a private apt setup per suite: a sources list,
 * package lists and a download cache under `.cache/debian/apt/<suite>/`, passed to `apt-get update`
 * and `apt-get download` with `-o Dir::...` options. The machine's apt configuration (its sources,
 * lists and cache) is never read for sources nor written. Each package is unpacked with `dpkg -x`
 * into a directory of its own; a marker file makes later runs skip the download.
 *
 * Three containerd lines are fetched, one per suite (bookworm 1.6, trixie 1.7, sid 2.x), with
 * bookworm's runc for all of them (sid's runc needs a newer glibc than this machine has).
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Where the packages are downloaded and unpacked. */
export const DEBIAN_CACHE_DIR = path.join(REPO_ROOT, '.cache', 'debian');

/** Where the bookworm tools (shellcheck, busybox, their libraries) are unpacked (one tree). */
export const DEBIAN_ROOT = path.join(DEBIAN_CACHE_DIR, 'root');

/** A directory of busybox applet links (plus the few applets Debian's busybox-static lacks). */
export const BUSYBOX_PATH_DIR = path.join(DEBIAN_CACHE_DIR, 'busybox-bin');

/** The Debian archive, as in the machine's own sources (/etc/apt/sources.list.d/debian.sources). */
const ARCHIVE_URL = 'http://deb.debian.org/debian';
const KEYRING = '/usr/share/keyrings/debian-archive-keyring.gpg';

/** A containerd line the installer is proven on: the suite that packages it. */
export interface ContainerdLine {
  /** The line's name in test titles: `1.6`, `1.7`, `2.x`. */
  readonly line: string;
  readonly suite: string;
}

export const CONTAINERD_LINES: readonly ContainerdLine[] = [
  { line: '1.6', suite: 'bookworm' },
  { line: '1.7', suite: 'trixie' },
  { line: '2.x', suite: 'sid' },
];

/** One unpacked containerd package. */
export interface Containerd extends ContainerdLine {
  /** The directory holding containerd, ctr and containerd-shim-runc-v2. */
  readonly binDir: string;
  readonly containerd: string;
  readonly ctr: string;
  /** What `containerd --version` prints (one line), e.g. `containerd github.com/... 1.7.24~ds1 ...`. */
  readonly version: string;
  /** The version number alone, e.g. `1.7.24~ds1`. */
  readonly number: string;
  /** The major version. */
  readonly major: number;
}

/** A bookworm package, the file it must provide, and where it is unpacked. */
interface Package {
  readonly name: string;
  readonly suite: string;
  readonly provides: string;
  readonly into: string;
}

const TOOLS: readonly Package[] = [
  { name: 'shellcheck', suite: 'bookworm', provides: 'usr/bin/shellcheck', into: DEBIAN_ROOT },
  { name: 'busybox-static', suite: 'bookworm', provides: 'bin/busybox', into: DEBIAN_ROOT },
  { name: 'runc', suite: 'bookworm', provides: 'usr/sbin/runc', into: path.join(DEBIAN_CACHE_DIR, 'runc-bookworm') },
];

/** shellcheck links libgmp and libffi; a slim machine may lack them: unpacked next to it. */
const SHELLCHECK_LIBS = ['libgmp10', 'libffi8'];

const containerdPackage = (l: ContainerdLine): Package => ({
  name: 'containerd', suite: l.suite, provides: 'usr/bin/containerd', into: path.join(DEBIAN_CACHE_DIR, `containerd-${l.suite}`),
});

/** Applets the installer uses that Debian's busybox-static does not build (Alpine's does). */
const HOST_FALLBACK_APPLETS = ['flock'];

/** The unpacked containerd 1.6 (bookworm), the default binary of the single-line tests. */
export function containerdBinary(): string {
  return path.join(containerdPackage(CONTAINERD_LINES[0]).into, 'usr', 'bin', 'containerd');
}

/** The unpacked shellcheck binary. */
export function shellcheckBinary(): string {
  return path.join(DEBIAN_ROOT, 'usr', 'bin', 'shellcheck');
}

/** The unpacked static busybox binary. */
export function busyboxBinary(): string {
  return path.join(DEBIAN_ROOT, 'bin', 'busybox');
}

/** The unpacked runc binary (bookworm's, run with every containerd line). */
export function runcBinary(): string {
  return path.join(TOOLS[2].into, 'usr', 'sbin', 'runc');
}

const versions = new Map<string, string>();

/** The unpacked containerd of a line, with the exact version its binary reports. */
export function containerdOf(line: string): Containerd {
  const l = CONTAINERD_LINES.find((c) => c.line === line);
  if (!l) throw new Error(`no containerd line ${line}`);
  const binDir = path.join(containerdPackage(l).into, 'usr', 'bin');
  const containerd = path.join(binDir, 'containerd');
  let version = versions.get(containerd);
  if (version === undefined) {
    version = execFileSync(containerd, ['--version'], { encoding: 'utf8' }).trim();
    versions.set(containerd, version);
  }
  const number = version.split(/\s+/)[2] ?? '';
  const major = Number(/^v?(\d+)\./.exec(number)?.[1]);
  if (!Number.isInteger(major)) throw new Error(`cannot read the version of ${containerd}: ${version}`);
  return { ...l, binDir, containerd, ctr: path.join(binDir, 'ctr'), version, number, major };
}

/** Environment for the unpacked binaries (libraries unpacked next to them come first). */
export function debianToolEnv(): NodeJS.ProcessEnv {
  const libDirs = fs.existsSync(path.join(DEBIAN_ROOT, 'usr', 'lib'))
    ? fs.readdirSync(path.join(DEBIAN_ROOT, 'usr', 'lib'))
      .map((d) => path.join(DEBIAN_ROOT, 'usr', 'lib', d))
      .filter((d) => /-linux-gnu$/.test(d))
    : [];
  const ld = [...libDirs, process.env.LD_LIBRARY_PATH ?? ''].filter((d) => d !== '').join(':');
  return ld === '' ? { ...process.env } : { ...process.env, LD_LIBRARY_PATH: ld };
}

function run(cmd: string, args: string[], cwd: string): void {
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], timeout: 600_000 });
}

/** The `-o` options that point apt at the suite's private sources, lists and cache. */
function privateApt(suite: string): string[] {
  const dir = path.join(DEBIAN_CACHE_DIR, 'apt', suite);
  const sources = path.join(dir, 'sources.list');
  const lists = path.join(dir, 'lists');
  const cache = path.join(dir, 'cache');
  if (!fs.existsSync(sources)) {
    fs.mkdirSync(path.join(lists, 'partial'), { recursive: true });
    fs.mkdirSync(path.join(cache, 'archives', 'partial'), { recursive: true });
    fs.writeFileSync(sources, `deb [signed-by=${KEYRING}] ${ARCHIVE_URL} ${suite} main\n`);
  }
  return [
    '-o', `Dir::Etc::sourcelist=${sources}`,
    '-o', 'Dir::Etc::sourceparts=-',
    '-o', `Dir::State::Lists=${lists}`,
    '-o', `Dir::Cache=${cache}`,
  ];
}

/** `apt-get download` from the suite, refreshing its private package lists first when needed. */
function aptDownload(suite: string, names: string[], dir: string): void {
  const options = privateApt(suite);
  try {
    run('apt-get', [...options, 'download', ...names], dir);
  } catch {
    run('apt-get', [...options, 'update'], dir);
    run('apt-get', [...options, 'download', ...names], dir);
  }
}

/** Downloads packages of one suite and unpacks them into `into`. */
function unpack(suite: string, names: string[], into: string): void {
  fs.mkdirSync(into, { recursive: true });
  const download = fs.mkdtempSync(path.join(DEBIAN_CACHE_DIR, 'download-'));
  try {
    aptDownload(suite, names, download);
    for (const deb of fs.readdirSync(download).filter((f) => f.endsWith('.deb'))) {
      run('dpkg', ['-x', path.join(download, deb), into], download);
    }
  } finally {
    fs.rmSync(download, { recursive: true, force: true });
  }
}

function ensure(p: Package): void {
  if (fs.existsSync(path.join(p.into, p.provides))) return;
  unpack(p.suite, [p.name], p.into);
  if (!fs.existsSync(path.join(p.into, p.provides))) throw new Error(`Debian package ${p.name} (${p.suite}) did not provide ${p.provides}`);
}

function works(binary: string, args: string[]): boolean {
  try {
    execFileSync(binary, args, { stdio: 'ignore', env: debianToolEnv() });
    return true;
  } catch {
    return false;
  }
}

function linkBusyboxApplets(): void {
  const marker = path.join(BUSYBOX_PATH_DIR, '.done');
  if (fs.existsSync(marker)) return;
  fs.rmSync(BUSYBOX_PATH_DIR, { recursive: true, force: true });
  fs.mkdirSync(BUSYBOX_PATH_DIR, { recursive: true });
  const applets = execFileSync(busyboxBinary(), ['--list'], { encoding: 'utf8' }).split('\n').filter((a) => a !== '');
  for (const applet of applets) fs.symlinkSync(busyboxBinary(), path.join(BUSYBOX_PATH_DIR, applet));
  for (const tool of HOST_FALLBACK_APPLETS) {
    if (applets.includes(tool)) continue;
    const hostTool = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].map((d) => path.join(d, tool)).find((p) => fs.existsSync(p));
    if (!hostTool) throw new Error(`busybox lacks ${tool} and the machine has none either`);
    fs.symlinkSync(hostTool, path.join(BUSYBOX_PATH_DIR, tool));
  }
  fs.writeFileSync(marker, '');
}

/**
 * Downloads and unpacks every containerd line, runc, shellcheck and busybox-static unless already
 * there; links the busybox applets into BUSYBOX_PATH_DIR. Called once from jest's globalSetup.
 */
export function ensureDebianTools(): void {
  fs.mkdirSync(DEBIAN_CACHE_DIR, { recursive: true });
  for (const p of [...TOOLS, ...CONTAINERD_LINES.map(containerdPackage)]) ensure(p);
  if (!works(shellcheckBinary(), ['--version'])) {
    unpack('bookworm', SHELLCHECK_LIBS, DEBIAN_ROOT);
    if (!works(shellcheckBinary(), ['--version'])) throw new Error('the unpacked shellcheck does not run');
  }
  for (const l of CONTAINERD_LINES) {
    const c = containerdOf(l.line);
    for (const tool of ['ctr', 'containerd-shim-runc-v2']) {
      if (!fs.existsSync(path.join(c.binDir, tool))) throw new Error(`containerd ${c.line} (${l.suite}) has no ${tool}`);
    }
  }
  linkBusyboxApplets();
}
