import * as yaml from 'js-yaml';
import { DiagnosticCollector } from '../diagnostics';
import { Origin } from '../model/container-runtime';
import { INPUT_FILE, MAX_FILE_BYTES, listInputFiles, readRegularFile } from './input-files';

export { INPUT_FILE, MAX_FILE_BYTES, listInputFiles };

/** One YAML (or JSON) document of an input file, with where it starts. */
export interface SourceDocument {
  readonly origin: Origin;
  readonly content: unknown;
  /** The line of each element of the document's top-level `items` list (a List), when it has one. */
  readonly itemLines?: readonly number[];
}

const DOCUMENT_START = /^---(?:[ \t]|$)/;
const DOCUMENT_END = /^\.\.\.(?:[ \t]|$)/;

/**
 * YAML as the Kubernetes API server reads it (sigs.k8s.io/yaml): the core schema plus merge keys
 * (`<<: *base`), which the API server expands.
 */
const SCHEMA = yaml.CORE_SCHEMA.withTags(yaml.mergeTag);

/**
 * Splits a multi-document YAML (or JSON) text into its documents at `---` lines, as kubectl does,
 * and parses each one, remembering the line where each starts. Empty documents are dropped; a
 * document that does not parse is reported, and so is text after a `...` line (YAML's document
 * end) that no `---` starts: published examples use `...` for "fields left out", and a reader
 * that took what follows as a document of its own would silently drop the fields it holds.
 */
export function parseDocuments(file: string, text: string, problems: DiagnosticCollector): SourceDocument[] {
  const documents: SourceDocument[] = [];
  // CRLF files: the line breaks are normalized first, so `---\r` separates documents too.
  const lines = text.replace(/\r\n/g, '\n').split('\n');
  let chunkStart = 0;
  let afterDocumentEnd: number | undefined;
  const flush = (end: number): void => {
    const firstLine = firstContentLine(lines, chunkStart, end);
    if (firstLine === undefined) return;
    if (afterDocumentEnd !== undefined) {
      problems.add({
        origin: { file, line: firstLine + 1 },
        message: `not part of any document: a "..." line (line ${afterDocumentEnd + 1}) ends a YAML document and no "---" starts a new one;`
          + ' if "..." stands for fields left out, this is a fragment: complete the manifest and remove the "..." lines',
      });
      return;
    }
    const document = parseDocument(file, lines.slice(chunkStart, end).join('\n'), chunkStart, firstLine + 1, problems);
    if (document) documents.push(document);
  };
  for (let i = 0; i < lines.length; i++) {
    if (DOCUMENT_START.test(lines[i])) {
      flush(i);
      // Content after `---` on the same line belongs to the new document.
      lines[i] = ' '.repeat(3) + lines[i].slice(3);
      chunkStart = i;
      afterDocumentEnd = undefined;
    } else if (DOCUMENT_END.test(lines[i])) {
      flush(i);
      chunkStart = i + 1;
      afterDocumentEnd = i;
    }
  }
  flush(lines.length);
  return documents;
}

/**
 * One document, whose text starts after line `offsetLines` of the file and whose content starts at
 * `line`; `undefined` when it is empty or has a problem (reported). The document is parsed on its
 * own (not padded to its place in the file, which made a file of many documents quadratic), and
 * lines are counted from where it starts.
 */
function parseDocument(file: string, source: string, offsetLines: number, line: number, problems: DiagnosticCollector): SourceDocument | undefined {
  try {
    const events = yaml.parseEvents(source, { filename: file });
    const lineAt = lineFinder(source, offsetLines);
    const { inexactNumbers, itemStarts } = scanEvents(source, events);
    for (const n of inexactNumbers) {
      problems.add({
        origin: { file, line: lineAt(n.offset) },
        message: `the number ${n.text} cannot be read exactly (beyond 2^53, the exact range of the numbers this tool reads);`
          + ' quote it if it is a string',
      });
    }
    if (inexactNumbers.length > 0) return undefined;
    const [content] = yaml.constructFromEvents(events, { source, filename: file, schema: SCHEMA });
    if (content === null || content === undefined) return undefined;
    if (expandedSizeExceeds(content, MAX_DOCUMENT_NODES)) {
      problems.add({ origin: { file, line }, message: `document expands to more than ${MAX_DOCUMENT_NODES} values (an alias bomb?)` });
      return undefined;
    }
    return { origin: { file, line }, content, ...(itemStarts ? { itemLines: itemStarts.map(lineAt) } : {}) };
  } catch (error) {
    const mark = (error as yaml.YAMLException).mark;
    const reason = (error as yaml.YAMLException).reason ?? String(error);
    problems.add({ origin: { file, line: mark ? offsetLines + mark.line + 1 : line }, message: `invalid YAML: ${reason}` });
    return undefined;
  }
}

/** The file's 1-based line of an offset in `source`, a text that starts after line `offsetLines` of the file. */
function lineFinder(source: string, offsetLines: number): (offset: number) => number {
  let starts: number[] | undefined;
  return (offset) => {
    if (starts === undefined) {
      starts = [0];
      for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
    }
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return offsetLines + lo + 1;
  };
}

/** A plain scalar the core schema reads as a number. */
const CORE_NUMBER = /^(?:[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?|0x[0-9a-fA-F]+|0o[0-7]+)$/;

/**
 * One pass over a document's parser events: the plain numbers a JavaScript number cannot hold
 * exactly (the API server reads integers up to 2^63; this tool refuses rather than change them),
 * and the start of each element of a top-level `items` list.
 */
function scanEvents(source: string, events: readonly yaml.Event[]) {
  const inexactNumbers: { text: string; offset: number }[] = [];
  let itemStarts: number[] | undefined;
  // Open collections: their kind, how many children they have had, whether they are the items list.
  const stack: { map: boolean; children: number; items: boolean }[] = [];
  let itemsKeyJustSeen = false;
  // Where a node starts: its anchor or tag, if it has one, else its value.
  const startOf = (event: yaml.Event): number => {
    if (event.type === yaml.EVENT_ID.ALIAS) return event.anchorStart;
    const e = event as yaml.ScalarEvent | yaml.MappingEvent | yaml.SequenceEvent;
    const value = 'valueStart' in e ? e.valueStart : e.start;
    return Math.min(...[value, e.anchorStart, e.tagStart].filter((o) => o >= 0));
  };
  for (const event of events) {
    if (event.type === yaml.EVENT_ID.DOCUMENT) continue;
    if (event.type === yaml.EVENT_ID.POP) {
      stack.pop();
      if (stack.length > 0) stack[stack.length - 1].children++;
      continue;
    }
    const parent = stack[stack.length - 1];
    if (parent?.items) itemStarts!.push(startOf(event));
    const isItemsValue = itemsKeyJustSeen;
    itemsKeyJustSeen = false;
    if (event.type === yaml.EVENT_ID.SCALAR) {
      const text = source.slice(event.valueStart, event.valueEnd);
      if (event.style === yaml.SCALAR_STYLE.PLAIN && event.tagStart === -1) {
        if (CORE_NUMBER.test(text) && Math.abs(Number(text.replace(/^\+/, ''))) > Number.MAX_SAFE_INTEGER) {
          inexactNumbers.push({ text: text.length > 40 ? `${text.slice(0, 40)}...` : text, offset: event.valueStart });
        }
      }
      // A key `items` of the document's top-level mapping.
      if (stack.length === 1 && parent.map && parent.children % 2 === 0 && text === 'items') itemsKeyJustSeen = true;
      if (parent) parent.children++;
    } else if (event.type === yaml.EVENT_ID.ALIAS) {
      if (parent) parent.children++;
    } else {
      const items = isItemsValue && event.type === yaml.EVENT_ID.SEQUENCE;
      if (items) itemStarts = [];
      stack.push({ map: event.type === yaml.EVENT_ID.MAPPING, children: 0, items });
    }
  }
  return { inexactNumbers, itemStarts };
}

function firstContentLine(lines: readonly string[], start: number, end: number): number | undefined {
  for (let i = start; i < end; i++) {
    const trimmed = lines[i].trim();
    if (trimmed !== '' && !trimmed.startsWith('#') && !trimmed.startsWith('%')) return i;
  }
  return undefined;
}

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

/** The file's text, or `undefined` (reported) when it is not a regular file, too large or not valid UTF-8. */
export function readUtf8(file: string, problems: DiagnosticCollector): string | undefined {
  const bytes = readRegularFile(file, problems);
  if (bytes === undefined) return undefined;
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
