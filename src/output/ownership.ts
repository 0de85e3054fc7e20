import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { DiagnosticCollector, InputError } from '../diagnostics';
import { OutputTree, STATE_DIR, isOutputPath } from './tree';

export { STATE_DIR } from './tree';

/**
 * The tool's records in the output directory: the ownership record (what synth wrote, with
 * hashes) and the journal of a run in progress. Both are committed or left behind in a tree that
 * others can edit, so they are read as input: parsed against their shape, every path checked
 * against the output layout, every hash checked for form. A problem is an InputError naming the
 * file and the field.
 */

/** What the tool wrote: every file's path (relative to the output root) and the sha256 of its bytes. */
export interface OwnershipRecord {
  readonly files: Readonly<Record<string, string>>;
}

/** A synth in progress: what it is about to write (with the new hashes) and remove. Present only while a synth runs (or died). */
export interface Journal {
  readonly writes: Readonly<Record<string, string>>;
  readonly removes: readonly string[];
}

/** A state file of the output directory is unreadable or of the wrong form. */
export class StateError extends InputError {
  constructor(diagnostics: InputError['diagnostics']) {
    super(diagnostics);
    this.name = 'StateError';
  }
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
  return `${JSON.stringify({ files: sortedObject(hashes) }, null, 2)}\n`;
}

export function journalText(writes: ReadonlyMap<string, string>, removes: readonly string[]): string {
  return `${JSON.stringify({ writes: sortedObject(writes), removes: [...removes].sort() }, null, 2)}\n`;
}

function sortedObject(map: ReadonlyMap<string, string>): Record<string, string> {
  const sorted: Record<string, string> = {};
  for (const p of [...map.keys()].sort()) sorted[p] = map.get(p)!;
  return sorted;
}

/** Reports a problem with a field of a state file. */
export type StateReport = (field: string, message: string) => void;

/** Problems with fields of a JSON state file; line 1, so that they are moved to the field's line. */
export function stateReporter(file: string, problems: DiagnosticCollector, shoot?: string): StateReport {
  return (field, message) => problems.add({ origin: { file, line: field === '' ? 0 : 1 }, path: field, message, ...(shoot ? { shoot } : {}) });
}

/**
 * Reads a JSON file of the state directory. `undefined` when it does not exist; a problem (and
 * `undefined`) when it is not a regular file or not JSON. `advice` ends the "not JSON" message:
 * what to do about this file.
 */
export function readStateJson(tree: OutputTree, rel: string, problems: DiagnosticCollector, advice: string): unknown {
  const file = tree.abs(rel);
  const report = (message: string) => problems.add({ origin: { file, line: 0 }, message });
  let text: string | undefined;
  try {
    text = tree.read(rel);
  } catch (error) {
    report(`cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    return undefined;
  }
  if (text === undefined) {
    // Absent, or something the tool does not read: a link, a directory, a special file.
    const obstacle = tree.obstacle(rel);
    if (obstacle !== undefined && fs.lstatSync(tree.abs(obstacle.path), { throwIfNoEntry: false }) !== undefined) report(`${obstacle.path} ${obstacle.problem}`);
    return undefined;
  }
  try {
    return JSON.parse(text) as unknown;
  } catch {
    report(`is not valid JSON; ${advice}`);
    return undefined;
  }
}

const SHA256 = /^[0-9a-f]{64}$/;

/** A map of output paths to sha256 hashes (the record's `files`, the journal's `writes`). */
function parseHashes(value: unknown, at: string, report: StateReport): Map<string, string> {
  const out = new Map<string, string>();
  if (!isPlainObject(value)) return report(at, 'must be a map of output paths to sha256 hashes'), out;
  for (const [p, hash] of Object.entries(value)) {
    if (!isOutputPath(p)) report(`${at}.${JSON.stringify(p)}`, 'is not a path shoot-runtimes writes (shoots/, flux/, argocd/ or .shoot-runtimes/installed/, no "..", no absolute path)');
    else if (typeof hash !== 'string' || !SHA256.test(hash)) report(`${at}.${JSON.stringify(p)}`, 'must be a sha256 hash (64 lowercase hex digits)');
    else out.set(p, hash);
  }
  return out;
}

function onlyKeys(value: Record<string, unknown>, keys: readonly string[], report: StateReport): void {
  for (const k of Object.keys(value)) if (!keys.includes(k)) report(k, 'unknown field');
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What a run reads from the records before it compares or writes anything. */
export interface Records {
  /** This run's (shard's) record: path -> sha256 when it was written. */
  readonly owned: ReadonlyMap<string, string>;
  /** The journal of an interrupted run of this shard, if one was left behind. */
  readonly journal?: Journal;
  /** Every path any record or journal in the output directory names: the tool wrote those. */
  readonly written: ReadonlySet<string>;
  /** What the records and journals of other runs (shards) name: shared files they still use stay. */
  readonly others: ReadonlySet<string>;
}

/**
 * Files several shards write (an installer version's directory, shared by every shoot that runs
 * it): each shard that renders one names it in its own record, and the run that drops it last
 * (no other record names it) removes it.
 */
export function isShared(rel: string): boolean {
  return rel.startsWith('installer/');
}

const RECORD_ADVICE = 'it belongs to shoot-runtimes and is committed with the output: restore it from version control';
const JOURNAL_ADVICE = 'it is written only by a synth that did not finish (it was killed or its disk filled up). '
  + 'Delete it, and the staging directory next to it, then run synth again: files that run already wrote are then '
  + 'reported as conflicts if they differ from what synth renders';

/**
 * Reads this run's ownership record and journal, and every other shard's, checking each. Throws
 * a StateError naming every problem.
 */
export function readRecords(tree: OutputTree, shard?: string): Records {
  const problems = new DiagnosticCollector();
  const parse = (rel: string): { files?: Map<string, string>; journal?: Journal } => {
    const isJournal = path.posix.basename(rel).startsWith('journal');
    const raw = readStateJson(tree, rel, problems, isJournal ? JOURNAL_ADVICE : RECORD_ADVICE);
    if (raw === undefined) return {};
    const reportField = stateReporter(tree.abs(rel), problems);
    // A journal of the wrong form (hand-edited, or from an older shoot-runtimes) says how to recover.
    const report: StateReport = isJournal ? (field, message) => reportField(field, `${message}; ${JOURNAL_ADVICE}`) : reportField;
    if (!isPlainObject(raw)) return report('', 'must be a JSON object'), {};
    if (!isJournal) {
      onlyKeys(raw, ['files'], report);
      return { files: parseHashes(raw.files, 'files', report) };
    }
    onlyKeys(raw, ['writes', 'removes'], report);
    const writes = parseHashes(raw.writes, 'writes', report);
    const removes: string[] = [];
    if (!Array.isArray(raw.removes)) report('removes', 'must be a list of output paths');
    else {
      raw.removes.forEach((p, i) => {
        if (typeof p !== 'string' || !isOutputPath(p)) report(`removes[${i}]`, 'is not a path shoot-runtimes writes (shoots/, flux/, argocd/ or .shoot-runtimes/installed/)');
        else removes.push(p);
      });
    }
    return { journal: { writes: Object.fromEntries(writes), removes } };
  };

  const own = parse(recordPath(shard));
  const journal = parse(journalPath(shard)).journal;
  const written = new Set<string>([...own.files?.keys() ?? []]);
  const others = new Set<string>();
  for (const p of [...Object.keys(journal?.writes ?? {}), ...(journal?.removes ?? [])]) written.add(p);
  for (const entry of listStateDir(tree)) {
    if (!/^(owned|journal)(\..+)?\.json$/.test(entry) || entry === path.posix.basename(recordPath(shard)) || entry === path.posix.basename(journalPath(shard))) continue;
    const other = parse(`${STATE_DIR}/${entry}`);
    for (const p of [...other.files?.keys() ?? [], ...Object.keys(other.journal?.writes ?? {}), ...(other.journal?.removes ?? [])]) {
      written.add(p);
      others.add(p);
    }
  }
  if (problems.count > 0) throw new StateError(problems.located());
  return { owned: own.files ?? new Map(), journal, written, others };
}

function listStateDir(tree: OutputTree): string[] {
  try {
    return fs.readdirSync(tree.abs(STATE_DIR)).sort();
  } catch {
    return [];
  }
}
