import { CommandModule } from 'yargs';
import { checkTree } from '../../output/check';
import { previousStateReader } from '../../output/state';
import { prepareRun, renderRun } from '../../pipeline/run';
import { inShard, shardName } from '../../pipeline/shard';
import { printSummary } from '../format';
import { RunArguments, resolveRunOptions } from '../run-options';

/** Set when check found a difference: the CLI exits 1. */
export class CheckFailed extends Error {}

export const checkCommand: CommandModule<{}, RunArguments> = {
  command: 'check',
  describe: 'Exit 0 when the output directory holds exactly what synth would write; never writes',
  builder: (yargs) => yargs
    .example('$0 check --config pipeline.yaml', 'fail CI when someone forgot to run synth')
    .example('$0 check --config pipeline.yaml --shard 2/4', 'check only the second shard\'s files'),
  handler: (args) => {
    const options = resolveRunOptions(args);
    const { shard } = options;
    // Pending uninstalls are compared as they stand: check never advances their run counts.
    const files = renderRun(prepareRun(options), {
      select: shard ? (s) => inShard(shard, s) : undefined,
      shard: shard && shardName(shard),
      previousState: previousStateReader(options.outDir),
    });
    const report = checkTree(options.outDir, files, shard && shardName(shard));
    if (report.length > 0) {
      process.stdout.write(`${report.join('\n')}\n`);
      throw new CheckFailed(`${options.outDir} is not what synth would write`);
    }
    printSummary(`check: ${options.outDir} is up to date`);
  },
};
