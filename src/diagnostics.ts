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
}

/** `file:line: subject: path: message` */
export function formatDiagnostic(d: Diagnostic): string {
  return [`${d.origin.file}:${d.origin.line}`, d.subject, d.path, d.message]
    .filter((part) => part !== undefined && part !== '')
    .join(': ');
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
   * Throws an InputError holding everything collected, if anything was, with each diagnostic
   * that names a field moved to the line where that field starts.
   */
  public throwIfAny(): void {
    if (this.found.length === 0) return;
    const located = locateFields(this.found);
    // By file, then line: the order a user fixes them in. Stable, so one line keeps its order.
    located.sort((a, b) => (a.origin.file < b.origin.file ? -1 : a.origin.file > b.origin.file ? 1 : a.origin.line - b.origin.line));
    throw new InputError(located);
  }
}
