import { CommandModule } from 'yargs';
import { Fingerprints } from '../../output/fingerprints';
import { ReadBack, readBackNow } from '../../output/read-back';
import { OutputLock } from '../../output/lock';
import { StateError, readRecords } from '../../output/ownership';
import { UninstallRuns, readShootStates } from '../../output/state';
import { OutputTree, shootOfPath } from '../../output/tree';
import { writeTree } from '../../output/write';
import { shootDirectory } from '../../output/render';
import { FailedShoot, PreparedRun, prepareRun, renderRun, summarize } from '../../pipeline/run';
import { renderThreads } from '../../pipeline/render-pool';
import { inShard, shardName } from '../../pipeline/shard';
import { ShootRef, shootKey } from '../../model/container-runtime';
import { printSummary } from '../format';
import { Progress } from '../progress';
import { RunArguments, RunOptions, resolveRunOptions } from '../run-options';

export interface SynthArguments extends RunArguments {
  readonly 'keep-going'?: boolean;
  readonly 'allow-removal'?: boolean;
}

/** Some shoots kept their last output (`--keep-going`): the CLI prints their problems and exits 3. */
export class KeptOutput extends Error {
  constructor(public readonly failed: readonly FailedShoot[], public readonly command: string) {
    super(`${failed.length} shoot(s) kept their last output`);
    this.name = 'KeptOutput';
  }
}

export const KEEP_GOING_OPTION = {
  type: 'boolean',
  describe: 'Render every shoot whose input is valid; a shoot with input problems keeps its last output (exit 3)',
} as const;

export const synthCommand: CommandModule<{}, SynthArguments> = {
  command: 'synth',
  describe: 'Render the manifests of every shoot into the output directory',
  builder: (yargs) => yargs
    .option('keep-going', KEEP_GOING_OPTION)
    .option('allow-removal', { type: 'boolean', describe: 'Let the run remove every shoot of the output, or more than 10% of them' })
    .example('$0 synth --config examples/pipeline.yaml', 'render the example garden into dist/')
    .example('$0 synth --input garden/ --out gitops/', 'render every Shoot under garden/ into gitops/')
    .example('$0 synth --config pipeline.yaml --shard 2/4', 'render the second of four shares of the fleet (a CI matrix job)')
    .example('$0 synth --config pipeline.yaml --keep-going', 'render what is valid; shoots with problems keep their output (exit 3)') as never,
  handler: (args) => synthesize(resolveRunOptions(args), 'synth', false, { keepGoing: args['keep-going'] === true }),
};

/** What the output directory says before a run: its records, and each selected shoot's state. */
export interface OutputState {
  readonly records: ReturnType<typeof readRecords>;
  readonly states: ReturnType<typeof readShootStates>['states'];
  /** The shoots whose input or state has problems (with `keepGoing`; else those throw). */
  readonly failed: readonly FailedShoot[];
}

/**
 * Reads the output directory's records and the selected shoots' states. A problem with a shoot's
 * state belongs to that shoot: with `keepGoing` it joins the run's failed shoots.
 */
export function readOutputState(tree: OutputTree, prepared: PreparedRun, options: RunOptions, keepGoing: boolean): OutputState {
  const { shard } = options;
  const records = readRecords(tree, shard && shardName(shard));
  const selected = prepared.shoots.filter((s) => !shard || inShard(shard, s.shoot)).map((s) => s.shoot);
  const { states, problems } = readShootStates(tree, selected);
  if (problems.length > 0 && !keepGoing) throw new StateError(problems);
  const failed = new Map(prepared.failed.filter((f) => !shard || inShard(shard, f.shoot)).map((f) => [shootKey(f.shoot), f]));
  for (const d of problems) {
    const previous = failed.get(d.shoot!);
    failed.set(d.shoot!, { shoot: previous?.shoot ?? selected.find((s) => shootKey(s) === d.shoot)!, diagnostics: [...previous?.diagnostics ?? [], d] });
  }
  return { records, states, failed: [...failed.values()].sort((a, b) => (shootKey(a.shoot) < shootKey(b.shoot) ? -1 : 1)) };
}

/**
 * Every output path of the failed shoots, and the installer version each one's kustomization
 * references (a shared directory): kept exactly as it is.
 */
export function keptPaths(failed: readonly FailedShoot[], tree: OutputTree): (rel: string) => boolean {
  if (failed.length === 0) return () => false;
  const keys = new Set(failed.map((f) => shootKey(f.shoot)));
  const installers = new Set<string>();
  for (const f of failed) {
    const text = tree.read(`${shootDirectory(f.shoot)}/kustomization.yaml`) ?? '';
    for (const match of text.matchAll(/^\s*- \.\.\/\.\.\/\.\.\/(installer\/[0-9a-f]{10})$/gm)) installers.add(`${match[1]}/`);
  }
  return (rel) => keys.has(shootOfPath(rel) ?? '') || [...installers].some((dir) => rel.startsWith(dir));
}

/**
 * Renders and writes the tree, holding the output directory's lock. Pending uninstalls are
 * retired when `retireAll` is set (the retire command) or when they have been rendered in
 * `retireAfterRuns` synth runs.
 */
export function synthesize(options: RunOptions, label: string, retireAll: boolean, mode: { keepGoing?: boolean } = {}): void {
  const keepGoing = mode.keepGoing === true;
  // With threads, the last output is read back (for incremental synth) while the inputs are read.
  const readBack = renderThreads() > 1 ? ReadBack.start(options.outDir, options.shard && shardName(options.shard)) : undefined;
  try {
    const prepared = prepareRun(options, { keepGoing });
    const tree = OutputTree.open(options.outDir, true);
    const lock = OutputLock.acquire(tree);
    try {
      write(tree, prepared, options, label, retireAll, keepGoing, readBack);
    } finally {
      lock.release();
    }
  } finally {
    readBack?.close();
  }
}

function write(tree: OutputTree, prepared: PreparedRun, options: RunOptions, label: string, retireAll: boolean, keepGoing: boolean, readBack?: ReadBack): void {
  const { shard, retireAfterRuns } = options;
  const shardLabel = shard && shardName(shard);
  const output = readOutputState(tree, prepared, options, keepGoing);
  // Which shoots' files are as recorded, as the worker read them back (or read back now).
  const onDisk = readBackNow(tree, shardLabel, readBack);
  const failedKeys = new Set(output.failed.map((f) => shootKey(f.shoot)));
  const rendering: PreparedRun = { ...prepared, shoots: prepared.shoots.filter((s) => !failedKeys.has(shootKey(s.shoot))) };
  const runs = new UninstallRuns(tree, shardLabel);
  const fingerprints = new Fingerprints(tree, output.records.owned, onDisk.shoots, shardLabel);
  let retired = 0;
  const progress = new Progress(`${label}:`);
  const files = renderRun(rendering, {
    select: shard ? (s) => inShard(shard, s) : undefined,
    shard: shardLabel,
    previousState: (s) => output.states.get(shootKey(s)),
    retire: (s, r) => {
      const now = retireAll || (retireAfterRuns !== undefined && runs.runs(s, r) >= retireAfterRuns);
      if (now) retired++;
      return now;
    },
    onState: (s, state) => runs.record(s, state),
    // Incremental: a shoot whose inputs, state and tool are as at the last synth is not rendered.
    reuse: (key, fingerprint) => fingerprints.reuse(key, fingerprint),
    onShootFiles: (key, fingerprint, shootFiles) => fingerprints.record(key, fingerprint, shootFiles),
    onShoot: (done, total) => progress.update(done, total),
    kept: keptWithOutput(output),
    threads: renderThreads(),
  });
  let result;
  try {
    result = writeTree(tree, files, { shard: shardLabel, records: output.records, kept: keptPaths(output.failed, tree), allowRemoval: options.allowRemoval });
  } finally {
    progress.done();
  }
  for (const f of output.failed) {
    runs.keep(f.shoot);
    fingerprints.keep(shootKey(f.shoot));
  }
  runs.save();
  fingerprints.save();
  const summary = summarize(rendering.shoots.filter((s) => !shard || inShard(shard, s.shoot)), prepared.summary.skippedDocuments);
  printSummary(
    `${label}: ${summary.shoots} shoots, ${summary.pools} pools, ${summary.runtimes} runtimes; `
    + `${result.written} files written, ${result.unchanged} unchanged, ${result.removed} removed; `
    + `${summary.skippedDocuments} documents skipped${retired ? `; ${retired} uninstalls retired` : ''}`
    + `${result.removedShoots.length ? `; ${result.removedShoots.length} shoots removed` : ''}`
    + `${output.failed.length ? `; ${output.failed.length} shoots kept their last output` : ''}`
    + `${shard ? ` (shard ${shard.index}/${shard.count})` : ''}`,
  );
  if (output.failed.length > 0) throw new KeptOutput(output.failed, label);
}

/** The failed shoots that the output already holds: fleet-wide objects keep listing them. */
export function keptWithOutput(output: OutputState): ShootRef[] {
  return output.failed.map((f) => f.shoot).filter((s) => output.records.owned.has(`shoots/${s.projectNamespace}/${s.name}/kustomization.yaml`));
}
