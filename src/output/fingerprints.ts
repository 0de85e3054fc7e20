import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { DiagnosticCollector } from '../diagnostics';
import { STATE_DIR, isPlainObject, readStateJson, sha256 } from './ownership';
import { RenderedFile } from './render';
import { OutputTree, isOutputPath } from './tree';

/**
 * What proves a shoot's output unchanged without rendering it: per shoot, a fingerprint of
 * everything its rendering depends on, and the files that rendering gave (path -> sha256). Tool
 * state, not output: `check` never reads it, and it is kept per shard.
 */
export function fingerprintsPath(shard?: string): string {
  return `${STATE_DIR}/fingerprints${shard ? `.${shard}` : ''}.json`;
}

interface Entry {
  readonly fingerprint: string;
  readonly files: Readonly<Record<string, string>>;
}

export class Fingerprints {
  private readonly previous: Readonly<Record<string, Entry>>;
  private readonly next: Record<string, Entry> = {};

  /** Reads the last run's fingerprints; a file of the wrong form counts as none (it is a cache). */
  constructor(private readonly tree: OutputTree, private readonly shard?: string) {
    const saved = readStateJson(tree, fingerprintsPath(shard), new DiagnosticCollector(), '');
    const shoots = isPlainObject(saved) && isPlainObject(saved.shoots) ? saved.shoots : {};
    const valid = (e: unknown): e is Entry => isPlainObject(e) && typeof e.fingerprint === 'string' && isPlainObject(e.files)
      && Object.values(e.files).every((h) => typeof h === 'string');
    this.previous = Object.fromEntries(Object.entries(shoots).filter(([, e]) => valid(e))) as Record<string, Entry>;
  }

  /**
   * The shoot's files as they are on disk, when they provably are what rendering would give: the
   * fingerprint is the one they were rendered with, and every file still has the recorded bytes.
   * Otherwise `undefined`: render.
   */
  public reuse(key: string, fingerprint: string): RenderedFile[] | undefined {
    const entry = this.previous[key];
    if (entry?.fingerprint !== fingerprint) return undefined;
    const files: RenderedFile[] = [];
    for (const [rel, hash] of Object.entries(entry.files)) {
      // Only paths of the output layout, read without following links (OutputTree.read).
      const content = isOutputPath(rel) ? this.tree.read(rel) : undefined;
      if (content === undefined || sha256(content) !== hash) return undefined;
      files.push({ path: rel, content, onDisk: { sha256: hash } });
    }
    return files;
  }

  /** Carries a shoot's entry over unchanged (a shoot `--keep-going` kept as it was). */
  public keep(key: string): void {
    if (this.previous[key]) this.next[key] = this.previous[key];
  }

  /** Remembers what a shoot's files are for this fingerprint (rendered or reused). */
  public record(key: string, fingerprint: string, files: readonly RenderedFile[]): void {
    this.next[key] = { fingerprint, files: Object.fromEntries(files.map((f) => [f.path, f.onDisk?.sha256 ?? sha256(f.content)])) };
  }

  /** Writes the fingerprints (after the tree was written). */
  public save(): void {
    const shoots = Object.fromEntries(Object.keys(this.next).sort().map((k) => [k, this.next[k]]));
    this.tree.writeAtomically(fingerprintsPath(this.shard), `${JSON.stringify({ shoots })}\n`);
  }
}

let tool: string | undefined;

/**
 * The tool's own version, as far as rendering goes: a hash of its code (every module of this
 * package's source or build directory), of package.json and of the installed versions of the
 * libraries that shape the output. Any change to them renders every shoot again.
 */
export function toolFingerprint(): string {
  if (tool) return tool;
  const hash = createHash('sha256');
  const codeDir = path.join(__dirname, '..');
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(js|ts)$/.test(entry.name)) hash.update(`${path.relative(codeDir, p)}\0`).update(fs.readFileSync(p)).update('\0');
    }
  };
  walk(codeDir);
  let root = codeDir;
  while (!fs.existsSync(path.join(root, 'package.json'))) root = path.dirname(root);
  hash.update(fs.readFileSync(path.join(root, 'package.json')));
  // The libraries that shape the text: their installed versions (package.json allows ranges).
  for (const lib of ['cdk8s', 'cdk8s-plus-27', 'js-yaml']) hash.update(`${lib}@${require(`${lib}/package.json`).version}\0`);
  tool = hash.digest('hex');
  return tool;
}
