import * as fs from 'fs';
import * as path from 'path';
import { RenderedFile } from './render';

export interface WriteResult {
  readonly written: number;
  readonly unchanged: number;
}

/**
 * Writes the rendered tree under `outDir`. A file whose bytes are already there is not touched;
 * every other file is written to a temporary name in its directory and renamed over the old one,
 * so no reader ever sees half a file.
 */
export function writeTree(outDir: string, files: readonly RenderedFile[]): WriteResult {
  let written = 0;
  let unchanged = 0;
  const createdDirs = new Set<string>();
  for (const file of files) {
    const target = path.join(outDir, file.path);
    if (readIfExists(target) === file.content) {
      unchanged++;
      continue;
    }
    const dir = path.dirname(target);
    if (!createdDirs.has(dir)) {
      fs.mkdirSync(dir, { recursive: true });
      createdDirs.add(dir);
    }
    const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.tmp`);
    fs.writeFileSync(temp, file.content);
    fs.renameSync(temp, target);
    written++;
  }
  return { written, unchanged };
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}
