import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

/** The tool's own state inside the output directory: the ownership record and the journal. */
export const STATE_DIR = '.shoot-runtimes';

/** What the tool wrote: every file's path (relative to the output root) and the sha256 of its bytes. */
export interface OwnershipRecord {
  readonly files: Readonly<Record<string, string>>;
}

/** A synth in progress: what it is about to write and remove. Present only while a synth runs (or died). */
export interface Journal {
  readonly writes: readonly string[];
  readonly removes: readonly string[];
}

/** The record's path; each shard keeps its own so shards never delete each other's files. */
export function recordPath(shard?: string): string {
  return `${STATE_DIR}/owned${shard ? `.${shard}` : ''}.json`;
}

export function journalPath(shard?: string): string {
  return `${STATE_DIR}/journal${shard ? `.${shard}` : ''}.json`;
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The record as synth writes it (path -> sha256 of the content): stable text, sorted paths. */
export function recordText(hashes: ReadonlyMap<string, string>): string {
  const sorted: Record<string, string> = {};
  for (const p of [...hashes.keys()].sort()) sorted[p] = hashes.get(p)!;
  return `${JSON.stringify({ files: sorted }, null, 2)}\n`;
}

export function readJson<T>(outDir: string, rel: string): T | undefined {
  const file = path.join(outDir, rel);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`${file} is not valid JSON: it belongs to shoot-runtimes; restore it from version control`);
  }
}

/**
 * Every path the tool may consider its own: the record, plus what an interrupted synth had
 * planned (its journal), so that files written by a killed run are cleaned up too.
 */
export function ownedPaths(outDir: string, shard?: string): { owned: Set<string>; interrupted: boolean } {
  const record = readJson<OwnershipRecord>(outDir, recordPath(shard));
  const journal = readJson<Journal>(outDir, journalPath(shard));
  const owned = new Set(Object.keys(record?.files ?? {}));
  for (const p of [...(journal?.writes ?? []), ...(journal?.removes ?? [])]) owned.add(p);
  return { owned, interrupted: journal !== undefined };
}

/**
 * Every path any ownership record in the output directory names (every shard's, and an
 * unsharded run's): files the tool wrote, which a run may overwrite even when another shard
 * layout wrote them (changing the shard count). Only a run's own record decides what it removes.
 */
export function writtenByTool(outDir: string): Set<string> {
  return namedByRecords(outDir).all;
}

/**
 * What the records and journals name: `all` of them, and `others`, those of other runs than
 * `shard`'s (or than an unsharded run's).
 */
export function namedByRecords(outDir: string, shard?: string): { all: Set<string>; others: Set<string> } {
  const all = new Set<string>();
  const others = new Set<string>();
  let entries: string[];
  try {
    entries = fs.readdirSync(path.join(outDir, STATE_DIR));
  } catch {
    return { all, others };
  }
  const own = [recordPath(shard), journalPath(shard)];
  for (const entry of entries.filter((e) => /^(owned|journal)(\..+)?\.json$/.test(e))) {
    const rel = `${STATE_DIR}/${entry}`;
    const data = readJson<OwnershipRecord & Journal>(outDir, rel);
    for (const p of [...Object.keys(data?.files ?? {}), ...(data?.writes ?? []), ...(data?.removes ?? [])]) {
      all.add(p);
      if (!own.includes(rel)) others.add(p);
    }
  }
  return { all, others };
}

/**
 * Files several shards write (an installer version's directory, shared by every shoot that runs
 * it): each shard that renders one names it in its own record, and the run that drops it last
 * (no other record names it) removes it.
 */
export function isShared(rel: string): boolean {
  return rel.startsWith('installer/');
}
