import * as fs from 'fs';
import * as path from 'path';

/**
 * The compiled script of a worker thread, `<name>.js`, for a module in `moduleDir`: next to the
 * module in lib/, or at the same place under lib/ when the module runs as TypeScript (tests);
 * a worker thread runs JavaScript only.
 */
export function workerScript(moduleDir: string, name: string): string {
  const beside = path.join(moduleDir, `${name}.js`);
  if (fs.existsSync(beside)) return beside;
  const root = path.resolve(moduleDir, '..', '..');
  return path.join(root, 'lib', path.relative(root, moduleDir), `${name}.js`);
}
