import { builtinModules } from 'module';
import * as fs from 'fs';
import * as path from 'path';
import { packageRoot } from '../pipeline/schema';

/** The acknowledger's modules as tsc compiles them (`npm run build`), dependencies first; the last is the entry. */
const MODULES = ['decide', 'client', 'acknowledger', 'in-cluster'];

/** Where tsc writes the acknowledger's modules. */
export function compiledDir(): string {
  return path.join(packageRoot(), 'lib', 'src', 'acknowledger');
}

/**
 * One dependency-free JavaScript file from the compiled acknowledger modules (src/acknowledger/,
 * compiled by `npm run build`): each module wrapped in a function, a tiny require that resolves
 * the modules to each other and everything else to Node's built-ins only. Same tsc output, same
 * bytes. Throws when a module requires anything else (an npm package would not be in the image).
 */
export function acknowledgerBundle(dir = compiledDir()): string {
  const parts: string[] = [];
  for (const name of MODULES) {
    const file = path.join(dir, `${name}.js`);
    if (!fs.existsSync(file)) throw new Error(`${file} is missing: run npm run build`);
    const code = fs.readFileSync(file, 'utf8');
    for (const [, required] of code.matchAll(/require\("([^"]+)"\)/g)) {
      const local = required.startsWith('./') && MODULES.includes(required.slice(2));
      if (!local && !builtinModules.includes(required.replace(/^node:/, ''))) {
        throw new Error(`${file} requires "${required}": the acknowledger may use only its own modules and Node's built-ins`);
      }
    }
    parts.push(`${JSON.stringify(`./${name}`)}: function (module, exports, require) {\n${code.trimEnd()}\n},`);
  }
  return [
    '// shoot-runtimes acknowledger: generated from src/acknowledger/ by shoot-runtimes; do not edit.',
    '\'use strict\';',
    'const definitions = {',
    ...parts,
    '};',
    'const cache = {};',
    'function load(name) {',
    '  if (!(name in definitions)) return require(name);',
    '  if (!(name in cache)) {',
    '    const module = { exports: {} };',
    '    cache[name] = module;',
    '    definitions[name](module, module.exports, load);',
    '  }',
    '  return cache[name].exports;',
    '}',
    `load(${JSON.stringify(`./${MODULES[MODULES.length - 1]}`)}).main();`,
    '',
  ].join('\n');
}
