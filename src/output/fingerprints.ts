import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { DiagnosticCollector } from '../diagnostics';
import { STATE_DIR, isPlainObject, readStateJson, sha256 } from './ownership';
import { filesDigest, shootFileOwner } from './read-back';
import { RenderedFile } from './render';
import { OutputTree } from './tree';

/**
 * What proves a shoot's output unchanged without rendering it: per shoot, a fingerprint of
 * everything its rendering depends on, and a digest of the files that rendering gave (their paths
 * and hashes, as the ownership record names them). Tool state, not output: `check` never reads it,
 * and it is kept per shard.
 */
export function fingerprintsPath(shard?: string): string {
  return `${STATE_DIR}/fingerprints${shard ? `.${shard}` : ''}.json`;
}

interface Entry {
  readonly fingerprint: string;
  /** filesDigest of the shoot's files. */
  readonly files: string;
}

export class Fingerprints {
  private readonly previous: Readonly<Record<string, Entry>>;
  private readonly next: Record<string, Entry> = {};
  /** The ownership record's paths by shoot: each shoot's directory and state file. */
  private readonly byShoot = new Map<string, string[]>();

  /**
   * Reads the last run's fingerprints; a file of the wrong form counts as none (it is a cache).
   * `owned`: the run's ownership record as read before rendering (the files' hashes); `onDisk`:
   * per shoot, the digest of its files as they are on disk (ReadBackResult.shoots).
   */
  constructor(
    private readonly tree: OutputTree, private readonly owned: ReadonlyMap<string, string>, private readonly onDisk: ReadonlyMap<string, string>, private readonly shard?: string,
  ) {
    const saved = readStateJson(tree, fingerprintsPath(shard), new DiagnosticCollector(), '');
    const shoots = isPlainObject(saved) && isPlainObject(saved.shoots) ? saved.shoots : {};
    const valid = (e: unknown): e is Entry => isPlainObject(e) && typeof e.fingerprint === 'string' && typeof e.files === 'string';
    this.previous = Object.fromEntries(Object.entries(shoots).filter(([, e]) => valid(e))) as Record<string, Entry>;
    for (const rel of owned.keys()) {
      const key = shootFileOwner(rel);
      if (key === undefined) continue;
      const files = this.byShoot.get(key);
      if (files) files.push(rel);
      else this.byShoot.set(key, [rel]);
    }
  }

  /**
   * The shoot's files as they are on disk, when they provably are what rendering would give: the
   * fingerprint is the one they were rendered with, and the files the record names for the shoot
   * are the ones that rendering gave and still hold the recorded bytes (the digests agree).
   * Otherwise `undefined`: render.
   */
  public reuse(key: string, fingerprint: string): RenderedFile[] | undefined {
    const entry = this.previous[key];
    if (entry?.fingerprint !== fingerprint || this.onDisk.get(key) !== entry.files) return undefined;
    const { tree, owned } = this;
    // The writer leaves these files as they are and never needs their text: it is read only if asked for.
    return (this.byShoot.get(key) ?? []).map((rel) => ({ path: rel, onDisk: { sha256: owned.get(rel)! }, get content() { return tree.read(rel) ?? ''; } }));
  }

  /** Carries a shoot's entry over unchanged (a shoot `--keep-going` kept as it was). */
  public keep(key: string): void {
    if (this.previous[key]) this.next[key] = this.previous[key];
  }

  /** Remembers what a shoot's files are for this fingerprint (rendered or reused). */
  public record(key: string, fingerprint: string, files: readonly RenderedFile[]): void {
    // A reused shoot's files are the ones its entry was made for.
    const reused = this.previous[key]?.fingerprint === fingerprint && files.length > 0 && files.every((f) => f.onDisk);
    this.next[key] = reused ? this.previous[key] : { fingerprint, files: filesDigest(files.map((f) => ({ path: f.path, sha256: f.onDisk?.sha256 ?? sha256(f.content) }))) };
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
