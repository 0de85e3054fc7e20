/**
 * Host tools the installer tests need, taken from Debian packages: `apt-get download` into
 * `.cache/debian` (git-ignored) and `dpkg -x` there, so nothing is installed on the machine.
 * The first run (a fresh CI machine) downloads a few MB; later runs only check a marker file.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const REPO_ROOT = path.resolve(__dirname, '..', '..');

/** Where the packages are downloaded and unpacked. */
export const DEBIAN_CACHE_DIR = path.join(REPO_ROOT, '.cache', 'debian');

/** Where the packages' files are unpacked (one tree for all of them). */
export const DEBIAN_ROOT = path.join(DEBIAN_CACHE_DIR, 'root');

/** A directory of busybox applet links (plus the few applets Debian's busybox-static lacks). */
export const BUSYBOX_PATH_DIR = path.join(DEBIAN_CACHE_DIR, 'busybox-bin');

/** The Debian packages and the file each must provide. */
const PACKAGES: ReadonlyArray<{ readonly name: string; readonly provides: string }> = [
  { name: 'containerd', provides: 'usr/bin/containerd' },
  { name: 'shellcheck', provides: 'usr/bin/shellcheck' },
  { name: 'busybox-static', provides: 'bin/busybox' },
];

/** Applets the installer uses that Debian's busybox-static does not build (Alpine's does). */
const HOST_FALLBACK_APPLETS = ['flock'];

/** The unpacked containerd 1.6 binary. */
export function containerdBinary(): string {
  return path.join(DEBIAN_ROOT, 'usr', 'bin', 'containerd');
}

/** The unpacked shellcheck binary. */
export function shellcheckBinary(): string {
  return path.join(DEBIAN_ROOT, 'usr', 'bin', 'shellcheck');
}

/** The unpacked static busybox binary. */
export function busyboxBinary(): string {
  return path.join(DEBIAN_ROOT, 'bin', 'busybox');
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
  execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** `apt-get download`, refreshing the package lists once when the first attempt fails. */
function aptDownload(names: string[], dir: string): void {
  try {
    run('apt-get', ['download', ...names], dir);
  } catch {
    run('apt-get', ['update'], dir);
    run('apt-get', ['download', ...names], dir);
  }
}

function unpack(names: string[]): void {
  const download = fs.mkdtempSync(path.join(DEBIAN_CACHE_DIR, 'download-'));
  try {
    aptDownload(names, download);
    for (const deb of fs.readdirSync(download).filter((f) => f.endsWith('.deb'))) {
      run('dpkg', ['-x', path.join(download, deb), DEBIAN_ROOT], download);
    }
  } finally {
    fs.rmSync(download, { recursive: true, force: true });
  }
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
 * Downloads and unpacks containerd, shellcheck and busybox-static unless already there; links
 * the busybox applets into BUSYBOX_PATH_DIR. Called once from jest's globalSetup.
 */
export function ensureDebianTools(): void {
  fs.mkdirSync(DEBIAN_ROOT, { recursive: true });
  const missing = PACKAGES.filter((p) => !fs.existsSync(path.join(DEBIAN_ROOT, p.provides))).map((p) => p.name);
  if (missing.length > 0) unpack(missing);
  for (const p of PACKAGES) {
    if (!fs.existsSync(path.join(DEBIAN_ROOT, p.provides))) {
      throw new Error(`Debian package ${p.name} did not provide ${p.provides}`);
    }
  }
  // shellcheck links libgmp and libffi; a slim machine may lack them: unpack them next to it
  if (!works(shellcheckBinary(), ['--version'])) {
    unpack(['libgmp10', 'libffi8']);
    if (!works(shellcheckBinary(), ['--version'])) throw new Error('the unpacked shellcheck does not run');
  }
  linkBusyboxApplets();
}
