import * as fs from 'fs';
import * as path from 'path';

/** The package's root directory, whether this module runs from `src/` (ts-jest) or `lib/src/`. */
function packageRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return dir;
}

/** Where install.sh lives (a real file, shellchecked and tested on its own). */
export const INSTALLER_SCRIPT_PATH = path.join(packageRoot(), 'src', 'installer', 'install.sh');

let cached: string | undefined;

/** The installer script's text. */
export function installerScript(): string {
  cached ??= fs.readFileSync(INSTALLER_SCRIPT_PATH, 'utf8');
  return cached;
}
