import * as path from 'path';
import { outputPathInRepository } from '../gitops/repository-path';
import { PipelineOptions } from '../pipeline/run';
import { Shard, parseShard } from '../pipeline/shard';
import { loadPipelineFile } from '../pipeline/pipeline-file';

/** Options every command that runs the pipeline shares. */
export interface RunArguments {
  readonly config?: string;
  readonly input?: readonly string[];
  readonly out?: string;
  readonly shard?: string;
  readonly 'allow-removal'?: boolean;
}

export interface RunOptions extends PipelineOptions {
  readonly outDir: string;
  /** `--shard I/N`: only these shoots' files, with their own ownership record. */
  readonly shard?: Shard;
  /** The pipeline file's `spec.uninstall.retireAfterRuns`. */
  readonly retireAfterRuns?: number;
  /** `--allow-removal ?? spec.output.allowRemoval`: lift the guard against mass removal. */
  readonly allowRemoval?: boolean;
}

/** The command line was used wrongly: exit 2 with usage. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/**
 * Flags win over the pipeline file: `--input ?? spec.sources`, `--out ?? spec.output.dir`.
 * Commands that never look at the output directory pass `needsOut: false`.
 */
export function resolveRunOptions(args: RunArguments, needsOut = true): RunOptions {
  const pipeline = args.config !== undefined ? loadPipelineFile(args.config) : undefined;
  const inputs = args.input?.length ? args.input : pipeline?.sources;
  const outDir = args.out ?? pipeline?.outputDir ?? (needsOut ? undefined : '.');
  if (!inputs || inputs.length === 0) throw new UsageError('no inputs: give --input PATH or --config with spec.sources');
  if (!outDir) throw new UsageError('no output directory: give --out DIR or --config with spec.output.dir');
  const gitops = pipeline?.gitops && {
    config: pipeline.gitops,
    outputPath: outputPathInRepository(outDir, path.dirname(pipeline.file), pipeline.gitops.pathPrefix),
  };
  let shard: Shard | undefined;
  if (args.shard !== undefined) {
    shard = parseShard(args.shard);
    if (!shard) throw new UsageError(`--shard takes I/N with 1 <= I <= N, not "${args.shard}"`);
  }
  // The garden's files belong to one shard only: the first (or the whole run).
  const gardenerExtension = shard === undefined || shard.index === 1 ? pipeline?.gardenerExtension : undefined;
  return { inputs, outDir, runtimes: pipeline?.runtimes ?? [], gitops, shard, retireAfterRuns: pipeline?.retireAfterRuns, allowRemoval: args['allow-removal'] ?? pipeline?.allowRemoval, registry: pipeline?.registry, assignments: pipeline?.assignments, gardenerExtension };
}
