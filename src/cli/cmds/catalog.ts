import { CommandModule } from 'yargs';
import { Catalog, RuntimeDefinition } from '../../catalog';
import { compareStrings } from '../../model/container-runtime';
import { loadPipelineFile } from '../../pipeline/pipeline-file';
import { Column, FORMAT_OPTION, Format, TableOptions, colorEnabled, formatJson, formatTable } from '../format';

export interface CatalogArguments {
  readonly config?: string;
  readonly format: Format;
}

/** A catalog entry as the JSON output prints it; keys in this order. */
export interface CatalogEntryJson {
  readonly type: string;
  /** Other names the type answers to; empty when none. */
  readonly aliases: readonly string[];
  readonly description: string;
  /** The shoot-wide RuntimeClass names and their containerd handlers, in catalog order. */
  readonly classes: readonly { readonly name: string; readonly handler: string }[];
  readonly architectures: readonly string[];
  readonly image: string;
}

/** The run's catalog: the built-ins, with the pipeline file's `spec.runtimes` when there is one. */
export function runCatalog(config: string | undefined): Catalog {
  return Catalog.withOverrides(config === undefined ? [] : loadPipelineFile(config).runtimes);
}

/** Every entry of a catalog, sorted by type. */
export function catalogEntries(catalog: Catalog): CatalogEntryJson[] {
  return [...catalog.definitions].sort((a, b) => compareStrings(a.type, b.type)).map(entryJson);
}

function entryJson(d: RuntimeDefinition): CatalogEntryJson {
  return {
    type: d.type,
    aliases: [...(d.aliases ?? [])],
    description: d.description,
    classes: d.classes.map((c) => ({ name: c.name, handler: c.handler })),
    architectures: [...d.architectures],
    image: d.image,
  };
}

const COLUMNS: readonly Column[] = [
  { header: 'TYPE (ALIASES)', style: 'cyan' },
  { header: 'CLASSES (HANDLERS)' },
  { header: 'ARCHITECTURES' },
  { header: 'IMAGE' },
];

/** The catalog as a table: `kata (kata-containers)`, `gvisor (runsc)`, `amd64, arm64`. */
export function formatCatalogTable(entries: readonly CatalogEntryJson[], options: TableOptions): string {
  return formatTable(COLUMNS, entries.map((e) => [
    e.aliases.length > 0 ? `${e.type} (${e.aliases.join(', ')})` : e.type,
    e.classes.map((c) => `${c.name} (${c.handler})`).join(', '),
    e.architectures.join(', '),
    e.image,
  ]), options);
}

export const catalogCommand: CommandModule<{}, CatalogArguments> = {
  command: 'catalog',
  describe: 'List the runtimes the run knows: the built-ins, and the pipeline file\'s spec.runtimes with --config',
  builder: (yargs) => yargs
    .option('format', FORMAT_OPTION)
    .example('$0 catalog', 'the built-in runtimes')
    .example('$0 catalog --config pipeline.yaml', 'with the pipeline file\'s overrides and additions')
    .example('$0 catalog --format json', 'as JSON, for a script') as never,
  handler: (args) => {
    const entries = catalogEntries(runCatalog(args.config));
    process.stdout.write(args.format === 'json'
      ? formatJson(entries)
      : formatCatalogTable(entries, { color: colorEnabled() }));
  },
};
