/**
 * The floor a synth is measured against, run as its own process: parse the same inputs with
 * js-yaml, then serialize and write the very objects the tool wrote (loaded before the clock
 * starts). Prints the elapsed milliseconds as JSON.
 * Usage: node floor.js <inputs dir> <tool output dir> <floor output dir>
 */
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { toYaml } from '../output/render';

function files(dir: string, out: string[] = []): string[] {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) { if (entry.name !== '.shoot-runtimes') files(p, out); } else if (p.endsWith('.yaml')) out.push(p);
  }
  return out;
}

const [inputs, toolOut, floorOut] = process.argv.slice(2);
const objects = files(toolOut).map((p) => ({ rel: path.relative(toolOut, p), object: yaml.load(fs.readFileSync(p, 'utf8')) }));
const start = process.hrtime.bigint();
let documents = 0;
for (const p of files(inputs)) documents += yaml.loadAll(fs.readFileSync(p, 'utf8')).length;
const dirs = new Set<string>();
for (const { rel, object } of objects) {
  const target = path.join(floorOut, rel);
  const dir = path.dirname(target);
  if (!dirs.has(dir)) { fs.mkdirSync(dir, { recursive: true }); dirs.add(dir); }
  fs.writeFileSync(target, toYaml(object));
}
const ms = Number(process.hrtime.bigint() - start) / 1e6;
process.stdout.write(`${JSON.stringify({ ms, documents, objects: objects.length })}\n`);
