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
