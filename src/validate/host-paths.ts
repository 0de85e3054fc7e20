/**
 * The rules for what the privileged installer may touch on a node, shared with install.sh (which
 * applies the same host directory and basename rules to its environment; keep both exact).
 */
import { shownValue } from './names';

/** containerd's own configuration directory, which the installer mounts for config.toml. */
export const CONTAINERD_CONFIG_DIR = '/etc/containerd';
/** containerd's configuration file. */
export const CONTAINERD_CONFIG = `${CONTAINERD_CONFIG_DIR}/config.toml`;
/** The drop-in directory config.toml imports (`conf.d/*.toml`): a file there is read as containerd config. */
export const CONTAINERD_DROPIN_DIR = `${CONTAINERD_CONFIG_DIR}/conf.d`;
/** The file install.sh keeps next to config.toml to remember an import it added. */
export const IMPORT_MARKER = `${CONTAINERD_CONFIG_DIR}/shoot-runtimes.added-import`;
/** The node-local lock directory every installer mounts. */
export const INSTALLER_LOCK_DIR = '/run/shoot-runtimes';

/** Characters of a host path: they reach hostPath mounts and the installer's environment. */
const SAFE_PATH = /^[A-Za-z0-9._/-]+$/;
/** The root and the ancestors of protected directories: mounting one exposes what it holds. */
const ANCESTORS = new Set(['/', '/run', '/var']);
/** System directories a runtime's files never go into (any top-level `lib*` too). */
const PROTECTED = ['/etc', '/usr', '/bin', '/sbin', '/boot', '/proc', '/sys', '/dev', '/var/lib'];
/** Not longer than this: a path is a value in every installer's environment. */
const MAX_PATH = 1024;

/** Whether `p` is `dir` or inside it. */
export function isWithin(p: string, dir: string): boolean {
  return p === dir || p.startsWith(dir === '/' ? '/' : `${dir}/`);
}

/** Why `p` is not an absolute, normalized path of safe characters; `undefined` when it is. */
function normalizedPathProblem(p: string): string | undefined {
  const segments = p.split('/').slice(1);
  if (!p.startsWith('/') || p.length > MAX_PATH || !SAFE_PATH.test(p) || (p !== '/' && segments.some((s) => s === '' || s === '.' || s === '..'))) {
    return `${shownValue(p)} must be an absolute, normalized path (no "..", "." or "//", no trailing "/") of letters, digits and . _ - /, at most ${MAX_PATH} characters`;
  }
  return undefined;
}

/**
 * The host directory rule: why the privileged installer must not mount `dir` read-write and
 * install files into it; `undefined` when it may. Gardener's `/var/bin/containerruntimes` passes.
 */
export function hostDirectoryProblem(dir: string): string | undefined {
  const format = normalizedPathProblem(dir);
  if (format) return format;
  if (ANCESTORS.has(dir)) return `${shownValue(dir)} is the root or an ancestor of system directories; want a directory of its own such as /var/bin/containerruntimes`;
  const top = dir.split('/')[1];
  const system = PROTECTED.find((p) => isWithin(dir, p)) ?? (top.startsWith('lib') ? `/${top}` : undefined);
  if (system) {
    const what = isWithin(dir, CONTAINERD_CONFIG_DIR) ? `${system}, which holds containerd's own configuration` : `${system}, a system directory`;
    return `${shownValue(dir)} is ${dir === system ? '' : 'inside '}${what}; the installer must not write there: want a directory of its own such as /var/bin/containerruntimes`;
  }
  if (isWithin(dir, INSTALLER_LOCK_DIR)) return `${shownValue(dir)} is the installers' lock directory ${INSTALLER_LOCK_DIR} (mounted already) or inside it`;
  return undefined;
}

/** Base names of containerd's own binaries and runc, which a runtime's files must never replace. */
const SHADOWED = new Set(['runc', 'containerd', 'ctr', 'containerd-shim']);

/**
 * The basename rule: why a file named `name` must not be installed into the install directory
 * (containerd searches it); `undefined` when it may.
 */
export function runtimeFileNameProblem(name: string): string | undefined {
  if (!/^[A-Za-z0-9_+-][A-Za-z0-9._+-]*$/.test(name) || name.length > 255) {
    return `file name ${shownValue(name)} must be letters, digits and . _ + - (not starting with a dot)`;
  }
  if (SHADOWED.has(name) || name.startsWith('containerd-shim-runc-')) {
    return `file name "${name}" would replace containerd's own ${name.startsWith('containerd') ? 'binary or runc shim' : 'binary'} (runc, containerd, ctr and containerd-shim-runc-* are never installed)`;
  }
  return undefined;
}

/**
 * Where a runtime's own configuration file may go: a file inside containerd's config directory
 * (the only host directory besides binaryPath the installer mounts, so a file elsewhere would be
 * written into the container and lost), not config.toml, not in the drop-in directory (containerd
 * would import it), not the installer's import marker, and no hidden file (install.sh's temp
 * files are hidden). Returns why not, or `undefined`.
 */
export function runtimeConfigPathProblem(p: string): string | undefined {
  const format = normalizedPathProblem(p);
  if (format) return format;
  if (!p.startsWith(`${CONTAINERD_CONFIG_DIR}/`)) return `${shownValue(p)} must be a file inside ${CONTAINERD_CONFIG_DIR}, the only host directory for configuration the installer mounts`;
  if (p === CONTAINERD_CONFIG) return `${shownValue(p)} is containerd's own config.toml`;
  if (isWithin(p, CONTAINERD_DROPIN_DIR)) return `${shownValue(p)} is inside the drop-in directory ${CONTAINERD_DROPIN_DIR}: containerd would read it as its own configuration`;
  if (p === IMPORT_MARKER) return `${shownValue(p)} is the installer's own marker file`;
  if (p.split('/').some((s) => s.startsWith('.'))) return `${shownValue(p)} must not be a hidden file or inside a hidden directory`;
  return undefined;
}
