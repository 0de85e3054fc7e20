import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

/**
 * Where the output directory lies as seen from the GitOps agent: relative to the root of the Git
 * repository holding it (asked from git), else relative to `baseDir` (the pipeline file's
 * directory); `pathPrefix` (spec.gitops.pathPrefix) wins over both. POSIX separators, no leading `./`.
 */
export function outputPathInRepository(outDir: string, baseDir: string, pathPrefix?: string): string {
  if (pathPrefix !== undefined) return path.posix.normalize(pathPrefix).replace(/\/$/, '');
  const absolute = realpathOfNearest(path.resolve(outDir));
  const root = gitRoot(absolute.existing);
  const from = root ?? realpathOfNearest(path.resolve(baseDir)).full;
  const rel = path.relative(from, absolute.full).split(path.sep).join('/');
  return rel === '' ? '.' : rel;
}

/** The real path of `p`, resolved through its nearest existing ancestor (the output may not exist yet). */
function realpathOfNearest(p: string): { full: string; existing: string } {
  let existing = p;
  const rest: string[] = [];
  while (!fs.existsSync(existing)) {
    rest.unshift(path.basename(existing));
    existing = path.dirname(existing);
  }
  const real = fs.realpathSync(existing);
  return { full: path.join(real, ...rest), existing: real };
}

function gitRoot(dir: string): string | undefined {
  const result = spawnSync('git', ['-C', dir, 'rev-parse', '--show-toplevel'], { encoding: 'utf8' });
  return result.status === 0 ? fs.realpathSync(result.stdout.trim()) : undefined;
}
