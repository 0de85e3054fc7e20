import { CommandModule } from 'yargs';
import { Fingerprints } from '../../output/fingerprints';
import { UninstallRuns, previousStateReader } from '../../output/state';
import { writeTree } from '../../output/write';
import { prepareRun, renderRun, summarize } from '../../pipeline/run';
import { inShard, shardName } from '../../pipeline/shard';
import { printSummary } from '../format';
import { Progress } from '../progress';
import { RunArguments, RunOptions, resolveRunOptions } from '../run-options';

export const synthCommand: CommandModule<{}, RunArguments> = {
  command: 'synth',
  describe: 'Render the manifests of every shoot into the output directory',
  builder: (yargs) => yargs
    .example('$0 synth --config examples/pipeline.yaml', 'render the example garden into dist/')
    .example('$0 synth --input garden/ --out gitops/', 'render every Shoot under garden/ into gitops/')
    .example('$0 synth --config pipeline.yaml --shard 2/4', 'render the second of four shares of the fleet (a CI matrix job)'),
  handler: (args) => synthesize(resolveRunOptions(args), 'synth', false),
};

/**
 * Renders and writes the tree. Pending uninstalls are retired when `retireAll` is set (the retire
 * command) or when they have been rendered in `retireAfterRuns` synth runs.
 */
export function synthesize(options: RunOptions, label: string, retireAll: boolean): void {
  const prepared = prepareRun(options);
  const { shard, retireAfterRuns } = options;
  const shardLabel = shard && shardName(shard);
  const runs = new UninstallRuns(options.outDir, shardLabel);
  const fingerprints = new Fingerprints(options.outDir, shardLabel);
  let retired = 0;
  const progress = new Progress(`${label}:`);
  const files = renderRun(prepared, {
    select: shard ? (s) => inShard(shard, s) : undefined,
    shard: shardLabel,
    previousState: previousStateReader(options.outDir),
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
  });
  let result;
  try {
    result = writeTree(options.outDir, files, shardLabel);
  } finally {
    progress.done();
  }
  runs.save();
  fingerprints.save();
  const summary = shard ? summarize(prepared.shoots.filter((s) => inShard(shard, s.shoot)), prepared.summary.skippedDocuments) : prepared.summary;
  printSummary(
    `${label}: ${summary.shoots} shoots, ${summary.pools} pools, ${summary.runtimes} runtimes; `
    + `${result.written} files written, ${result.unchanged} unchanged, ${result.removed} removed; `
    + `${summary.skippedDocuments} documents skipped${retired ? `; ${retired} uninstalls retired` : ''}`
    + `${shard ? ` (shard ${shard.index}/${shard.count})` : ''}`,
  );
}
