import { GVISOR } from './gvisor';
import { KATA, KATA_FC } from './kata';
import { SPIN } from './spin';
import { RuntimeDefinition } from './types';

export * from './types';
export { GVISOR } from './gvisor';
export { KATA, KATA_FC } from './kata';
export { SPIN } from './spin';

/** The runtimes built into the product. */
export const BUILTIN_RUNTIMES: readonly RuntimeDefinition[] = [GVISOR, KATA, KATA_FC, SPIN];

/**
 * The runtimes of one run: the built-in ones, overridden or extended by the pipeline file's
 * `spec.runtimes`. Looks a type up by its name or an alias.
 */
export class Catalog {
  /** A catalog of the built-in runtimes with `overrides` replacing or adding entries by type. */
  public static withOverrides(overrides: readonly RuntimeDefinition[] = []): Catalog {
    const byType = new Map<string, RuntimeDefinition>();
    for (const definition of [...BUILTIN_RUNTIMES, ...overrides]) {
      byType.set(definition.type, definition);
    }
    return new Catalog([...byType.values()]);
  }

  private readonly byName = new Map<string, RuntimeDefinition>();

  private constructor(public readonly definitions: readonly RuntimeDefinition[]) {
    // Canonical types first, so that an override's type wins over another entry's alias.
    for (const definition of definitions) {
      for (const alias of definition.aliases ?? []) this.byName.set(alias, definition);
    }
    for (const definition of definitions) this.byName.set(definition.type, definition);
  }

  /** The entry for a type or alias, or `undefined`. */
  public find(typeOrAlias: string): RuntimeDefinition | undefined {
    return this.byName.get(typeOrAlias);
  }

  /** Every name the catalog answers to, sorted (for messages). */
  public get knownNames(): string[] {
    return [...this.byName.keys()].sort();
  }
}
