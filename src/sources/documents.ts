import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { DiagnosticCollector } from '../diagnostics';
import { Origin, compareStrings } from '../model/container-runtime';

/** One YAML document of an input file, with where it starts. */
export interface SourceDocument {
  readonly origin: Origin;
  readonly content: unknown;
}

const YAML_FILE = /\.ya?ml$/;

/**
 * Every `*.yaml` / `*.yml` file under the given paths (files are taken as they are, directories
 * are read recursively), sorted so that the order of a directory listing never matters.
 */
export function listInputFiles(paths: readonly string[], problems: DiagnosticCollector): string[] {
  const found = new Set<string>();
  const visit = (p: string, explicit: boolean): void => {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      problems.add({ origin: { file: p, line: 0 }, message: 'input path does not exist' });
      return;
    }
    if (stat.isDirectory()) {
      for (const entry of fs.readdirSync(p)) visit(path.join(p, entry), false);
    } else if (explicit || YAML_FILE.test(p)) {
      found.add(p);
    }
  };
  for (const p of paths) visit(p, true);
  return [...found].sort(compareStrings);
}

const DOCUMENT_START = /^---(?:[ \t]|$)/;
const DOCUMENT_END = /^\.\.\.(?:[ \t]|$)/;

/**
 * Splits a multi-document YAML text into its documents and parses each one, remembering the line
 * where each starts. Empty documents are dropped; a document that does not parse is reported.
 */
export function parseDocuments(file: string, text: string, problems: DiagnosticCollector): SourceDocument[] {
  const documents: SourceDocument[] = [];
  const lines = text.split('\n');
  let chunkStart = 0;
  const flush = (end: number): void => {
    const chunk = lines.slice(chunkStart, end).join('\n');
    const firstLine = firstContentLine(lines, chunkStart, end);
    if (firstLine === undefined) return;
    try {
      // Leading newlines keep js-yaml's line numbers equal to the file's.
      const content = yaml.load('\n'.repeat(chunkStart) + chunk, { filename: file });
      if (content !== null && content !== undefined) {
        if (expandedSizeExceeds(content, MAX_DOCUMENT_NODES)) {
          problems.add({ origin: { file, line: firstLine + 1 }, message: `document expands to more than ${MAX_DOCUMENT_NODES} values (an alias bomb?)` });
        } else {
          documents.push({ origin: { file, line: firstLine + 1 }, content });
        }
      }
    } catch (error) {
      const mark = (error as yaml.YAMLException).mark;
      const reason = (error as yaml.YAMLException).reason ?? String(error);
      problems.add({ origin: { file, line: mark ? mark.line + 1 : firstLine + 1 }, message: `invalid YAML: ${reason}` });
    }
  };
  for (let i = 0; i < lines.length; i++) {
    if (DOCUMENT_START.test(lines[i])) {
      flush(i);
      // Content after `---` on the same line belongs to the new document.
      lines[i] = ' '.repeat(3) + lines[i].slice(3);
      chunkStart = i;
    } else if (DOCUMENT_END.test(lines[i])) {
      flush(i);
      chunkStart = i + 1;
    }
  }
  flush(lines.length);
  return documents;
}

function firstContentLine(lines: readonly string[], start: number, end: number): number | undefined {
  for (let i = start; i < end; i++) {
    const trimmed = lines[i].trim();
    if (trimmed !== '' && !trimmed.startsWith('#') && !trimmed.startsWith('%')) return i;
  }
  return undefined;
}

/** Input files larger than this are refused before they are read: memory stays bounded. */
export const MAX_FILE_BYTES = 16 * 1024 * 1024;
/** A document may hold at most this many values once its aliases are expanded (alias bombs). */
export const MAX_DOCUMENT_NODES = 1_000_000;

/** Reads and parses every input file under `paths`. */
export function readDocuments(paths: readonly string[], problems: DiagnosticCollector): SourceDocument[] {
  const documents: SourceDocument[] = [];
  for (const file of listInputFiles(paths, problems)) {
    const text = readUtf8(file, problems);
    if (text !== undefined) documents.push(...parseDocuments(file, text, problems));
  }
  return documents;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The file's text, or `undefined` (reported) when it is too large or not valid UTF-8. */
export function readUtf8(file: string, problems: DiagnosticCollector): string | undefined {
  const size = fs.statSync(file).size;
  if (size > MAX_FILE_BYTES) {
    problems.add({ origin: { file, line: 0 }, message: `file is ${size} bytes; input files may be at most ${MAX_FILE_BYTES} bytes` });
    return undefined;
  }
  const bytes = fs.readFileSync(file);
  try {
    return UTF8.decode(bytes);
  } catch {
    const line = firstInvalidUtf8Line(bytes);
    problems.add({ origin: { file, line }, message: 'invalid UTF-8: YAML input must be UTF-8 text' });
    return undefined;
  }
}

function firstInvalidUtf8Line(bytes: Buffer): number {
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i === bytes.length || bytes[i] === 0x0a) {
      try {
        UTF8.decode(bytes.subarray(start, i));
      } catch {
        return line;
      }
      line++;
      start = i + 1;
    }
  }
  return line;
}

/**
 * Counts the values of a parsed document as if its aliases were expanded, stopping at `limit`:
 * js-yaml shares aliased values, but every later stage walks them one by one.
 */
export function expandedSizeExceeds(value: unknown, limit: number): boolean {
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const current = stack.pop();
    if (++count > limit) return true;
    if (Array.isArray(current)) stack.push(...current);
    else if (typeof current === 'object' && current !== null) stack.push(...Object.values(current));
  }
  return false;
}
