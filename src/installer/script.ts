import * as fs from 'fs';
import * as path from 'path';

/** The package's root directory, whether this module runs from `src/` (ts-jest) or `lib/src/`. */
function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

const INSTALLER_DIR = path.join(packageRoot(), 'src', 'installer');

/** Where install.sh lives (a real file, shellchecked and tested on its own). */
export const INSTALLER_SCRIPT_PATH = path.join(INSTALLER_DIR, 'install.sh');

/**
 * Every file the installer needs, by name: install.sh and the TOML parser it runs (toml.awk),
 * which it finds next to itself. They are shipped together: one ConfigMap, one
 * `installer/<version>/` directory of the output, whose version is a hash of all of them.
 */
export const INSTALLER_FILE_NAMES = ['install.sh', 'toml.awk'] as const;

let cached: Record<string, string> | undefined;

/** The installer's files (name to text), in INSTALLER_FILE_NAMES order. */
export function installerFiles(): Record<string, string> {
  cached ??= Object.fromEntries(INSTALLER_FILE_NAMES.map((name) => [name, fs.readFileSync(path.join(INSTALLER_DIR, name), 'utf8')]));
  return { ...cached };
}

/** The installer script's text. */
export function installerScript(): string {
  return installerFiles()['install.sh'];
}
