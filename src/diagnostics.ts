import { Origin } from './model/container-runtime';
import { locateFields } from './sources/locate';

/** One problem with the input, pointing at where it is. */
export interface Diagnostic {
  readonly origin: Origin;
  /** The object, e.g. `Shoot garden-dev/alpha`. @default - the whole document */
  readonly subject?: string;
  /** The field path, e.g. `spec.provider.workers[0].name`. @default - the whole object */
  readonly path?: string;
  readonly message: string;
  /**
   * The shoot (`<project-namespace>/<name>`) the problem belongs to, when it belongs to exactly
   * one: `synth --keep-going` keeps that shoot's last output and renders the others.
   * @default - the whole run
   */
  readonly shoot?: string;
}

/** A diagnostic line is at most about this long, whatever the input holds (a 1 MB name). */
export const MAX_DIAGNOSTIC_PART = 400;

/**
 * `file:line: subject: path: message`, on one line: control characters (a newline in a value or a
 * flag name could forge extra lines in a CI log) are escaped, and each part is cut to
 * MAX_DIAGNOSTIC_PART characters, saying how much was left out.
 */
export function formatDiagnostic(d: Diagnostic): string {
  return [`${d.origin.file}:${d.origin.line}`, d.subject, d.path, d.message]
    .filter((part): part is string => part !== undefined && part !== '')
    .map((part) => printable(part))
    .join(': ');
}

/** One line of bounded length: control characters escaped, the middle of a long text left out. */
export function printable(text: string, max = MAX_DIAGNOSTIC_PART): string {
  const cut = text.length > max
    ? `${text.slice(0, max - 100)}...(${text.length - max + 50} characters left out)...${text.slice(text.length - 50)}`
    : text;
  // C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
  return cut.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => {
    const code = c.charCodeAt(0);
    return ({ 10: '\\n', 13: '\\r', 9: '\\t' } as Record<number, string>)[code] ?? `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** A user's input is wrong: carries every problem found, each with its position. Never a bug. */
export class InputError extends Error {
  constructor(public readonly diagnostics: readonly Diagnostic[]) {
    super(diagnostics.map(formatDiagnostic).join('\n'));
    this.name = 'InputError';
  }
}

/** Collects diagnostics of a stage so that a user sees every problem of a run at once. */
export class DiagnosticCollector {
  private readonly found: Diagnostic[] = [];

  public add(diagnostic: Diagnostic): void {
    this.found.push(diagnostic);
  }

  public get count(): number {
    return this.found.length;
  }

  /**
   * Everything collected, each diagnostic that names a field moved to the line where that field
   * starts, by file, then line: the order a user fixes them in.
   */
  public located(): Diagnostic[] {
    const located = locateFields(this.found);
    // Stable, so one line keeps its order.
    located.sort((a, b) => (a.origin.file < b.origin.file ? -1 : a.origin.file > b.origin.file ? 1 : a.origin.line - b.origin.line));
    return located;
  }

  /** Throws an InputError holding everything collected (located), if anything was. */
  public throwIfAny(): void {
    if (this.found.length > 0) throw new InputError(this.located());
  }
}
