import { readRegularFile } from './input-files';
import { LineCounter, Node, isMap, isSeq, parseAllDocuments } from 'yaml';
import type { Diagnostic } from '../diagnostics';

/**
 * Sharpens diagnostics that name a field path to the line where that field starts. Only runs
 * when something is wrong, so the fast parser (js-yaml) serves every good run and this slower,
 * position-aware one (yaml) only the files that have problems.
 */
export function locateFields(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  const parsed = new Map<string, ReturnType<typeof parseFile>>();
  return diagnostics.map((d) => {
    if (!d.path || d.origin.line <= 0) return d;
    if (!parsed.has(d.origin.file)) parsed.set(d.origin.file, parseFile(d.origin.file));
    const file = parsed.get(d.origin.file);
    const line = file && lineOfPath(file, d.origin.line, d.path);
    return line ? { ...d, origin: { ...d.origin, line } } : d;
  });
}

/** The file's text, read by the same rules as an input (never a FIFO, never past the size cap). */
function readText(file: string): string {
  const bytes = readRegularFile(file, { add: () => undefined });
  if (bytes === undefined) throw new Error(`${file} is not readable`);
  return bytes.toString('utf8');
}

function parseFile(file: string) {
  try {
    const lineCounter = new LineCounter();
    const documents = parseAllDocuments(readText(file), { lineCounter });
    return Array.isArray(documents) ? { documents, lineCounter } : undefined;
  } catch {
    return undefined;
  }
}

/** The line of the deepest node along `path` (`a.b[0].c`) in the document starting at `docLine`. */
function lineOfPath(file: NonNullable<ReturnType<typeof parseFile>>, docLine: number, path: string): number | undefined {
  const startsAt = (n: unknown) => (n as Node | null)?.range && file.lineCounter.linePos((n as Node).range![0]).line === docLine;
  // The object is a document, or an item of a List document.
  const listItems = file.documents.flatMap((d) => {
    const items = isMap(d.contents) ? d.contents.items.find((p) => (p.key as { value?: unknown } | null)?.value === 'items')?.value : undefined;
    return isSeq(items) ? items.items : [];
  });
  let node: unknown = file.documents.find((d) => startsAt(d.contents))?.contents
    ?? listItems.find(startsAt)
    ?? file.documents.find((d) => d.contents && file.lineCounter.linePos(d.contents.range[0]).line >= docLine)?.contents;
  let line: number | undefined;
  for (const segment of path.match(/[^.[\]]+/g) ?? []) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (p.key as { value?: unknown } | null)?.value === segment);
      if (!pair) break;
      const keyNode = pair.key as Node;
      if (keyNode?.range) line = file.lineCounter.linePos(keyNode.range[0]).line;
      node = pair.value;
    } else if (isSeq(node) && /^[0-9]+$/.test(segment)) {
      node = node.items[Number(segment)];
      const range = (node as Node | undefined)?.range;
      if (range) line = file.lineCounter.linePos(range[0]).line;
    } else {
      break;
    }
  }
  return line;
}
