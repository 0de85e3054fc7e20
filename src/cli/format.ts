/**
 * Output for people and for programs: aligned plain-text tables (coloured only on a terminal),
 * pretty-printed JSON (never coloured), and the success summary line that `--quiet` silences.
 */

/** The styles a table column may use. */
export type Style = 'bold' | 'dim' | 'yellow' | 'cyan';

const SGR: Record<Style, readonly [string, string]> = {
  bold: ['\x1b[1m', '\x1b[22m'],
  dim: ['\x1b[2m', '\x1b[22m'],
  yellow: ['\x1b[33m', '\x1b[39m'],
  cyan: ['\x1b[36m', '\x1b[39m'],
};

/** What an empty cell shows. */
export const EMPTY_CELL = '-';

/** Spaces between two columns. */
const GAP = '  ';

export interface Column {
  readonly header: string;
  /** The style of the column's cells, when colours are on. @default - none */
  readonly style?: Style;
}

export interface TableOptions {
  /** ANSI colours: a bold header, styled columns, dim empty cells. */
  readonly color: boolean;
}

/** One row: a cell per column; `undefined` or `''` shows EMPTY_CELL. */
export type TableRow = readonly (string | undefined)[];

/**
 * A table as text: a header row, then one line per row, columns aligned by the widest cell and
 * separated by two spaces, no trailing spaces, a newline after every line. Control characters in
 * cells are escaped, so input values cannot move the cursor or change colours.
 */
export function formatTable(columns: readonly Column[], rows: readonly TableRow[], options: TableOptions): string {
  const header = columns.map((c) => ({ text: plain(c.header), style: 'bold' as Style | undefined }));
  const body = rows.map((row) => columns.map((c, i) => {
    const value = row[i];
    return value === undefined || value === ''
      ? { text: EMPTY_CELL, style: 'dim' as Style | undefined }
      : { text: plain(value), style: c.style };
  }));
  const all = [header, ...body];
  const widths = columns.map((_, i) => Math.max(...all.map((line) => width(line[i].text))));
  return all.map((line) => line.map((cell, i) => {
    const last = i === line.length - 1;
    const padding = last ? '' : ' '.repeat(widths[i] - width(cell.text));
    return paint(cell.text, options.color ? cell.style : undefined) + padding;
  }).join(GAP).trimEnd()).map((line) => `${line}\n`).join('');
}

/** Pretty-printed JSON (two spaces) with a final newline; key order is the objects' own. */
export function formatJson(value: unknown): string {
  return `${JSON.stringify(value, null, 2)}\n`;
}

/** The output formats of the commands that print data. */
export const FORMATS = ['table', 'json'] as const;
export type Format = typeof FORMATS[number];

/** The `--format` option, for a command's builder. */
export const FORMAT_OPTION = {
  choices: FORMATS,
  default: 'table' as Format,
  describe: 'table: aligned columns for people; json: a pretty-printed array of objects for programs',
} as const;

/**
 * Whether to colour output to `stream`: only on a terminal, and only when NO_COLOR is unset or
 * empty (https://no-color.org).
 */
export function colorEnabled(
  stream: { readonly isTTY?: boolean } = process.stdout,
  env: Readonly<Record<string, string | undefined>> = process.env,
): boolean {
  return stream.isTTY === true && !env.NO_COLOR;
}

let quiet = false;

/** Sets the global `--quiet` flag (the CLI's middleware does, before any command runs). */
export function setQuiet(value: boolean): void {
  quiet = value;
}

/** Writes a command's success summary line to stderr, unless `--quiet`. Problems never go here. */
export function printSummary(line: string): void {
  if (!quiet) process.stderr.write(`${line}\n`);
}

function paint(text: string, style: Style | undefined): string {
  if (!style) return text;
  const [on, off] = SGR[style];
  return `${on}${text}${off}`;
}

/** Control characters (C0, DEL, C1) as `\xNN`. */
function plain(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

/** Display width: one column per code point (the tables hold no wide characters). */
function width(text: string): number {
  return [...text].length;
}
