import { CommandModule } from 'yargs';
import { shootKey } from '../../model/container-runtime';
import { checkTree } from '../../output/check';
import { OutputTree } from '../../output/tree';
import { PreparedRun, prepareRun, renderRun } from '../../pipeline/run';
import { renderThreads } from '../../pipeline/render-pool';
import { inShard, shardName } from '../../pipeline/shard';
import { printSummary } from '../format';
import { resolveRunOptions } from '../run-options';
import { KEEP_GOING_OPTION, KeptOutput, SynthArguments, keptPaths, keptWithOutput, readOutputState } from './synth';

/** Set when check found a difference: the CLI exits 1. */
export class CheckFailed extends Error {}

export const checkCommand: CommandModule<{}, SynthArguments> = {
  command: 'check',
  describe: 'Exit 0 when the output directory holds exactly what synth would write; never writes',
  builder: (yargs) => yargs
    .option('keep-going', { ...KEEP_GOING_OPTION, describe: 'Compare every shoot whose input is valid; report the shoots whose last output is kept (exit 3)' })
    .example('$0 check --config pipeline.yaml', 'fail CI when someone forgot to run synth')
    .example('$0 check --config pipeline.yaml --shard 2/4', 'check only the second shard\'s files') as never,
  handler: (args) => {
    const options = resolveRunOptions(args);
    const keepGoing = args['keep-going'] === true;
    const { shard } = options;
    const prepared = prepareRun(options, { keepGoing });
    const tree = OutputTree.open(options.outDir, false);
    const output = readOutputState(tree, prepared, options, keepGoing);
    const failedKeys = new Set(output.failed.map((f) => shootKey(f.shoot)));
    const rendering: PreparedRun = { ...prepared, shoots: prepared.shoots.filter((s) => !failedKeys.has(shootKey(s.shoot))) };
    // Pending uninstalls are compared as they stand: check never advances their run counts.
    const files = renderRun(rendering, {
      select: shard ? (s) => inShard(shard, s) : undefined,
      shard: shard && shardName(shard),
      previousState: (s) => output.states.get(shootKey(s)),
      kept: keptWithOutput(output),
      threads: renderThreads(),
    });
    const report = checkTree(tree, files, { shard: shard && shardName(shard), records: output.records, kept: keptPaths(output.failed, tree) });
    const kept = output.failed.map((f) => `kept: ${shootKey(f.shoot)} (its input has problems; its last output stays as it is)`);
    if (report.length > 0 || kept.length > 0) process.stdout.write(`${[...report, ...kept].join('\n')}\n`);
    if (report.length > 0) throw new CheckFailed(`${options.outDir} is not what synth would write`);
    if (kept.length > 0) throw new KeptOutput(output.failed, 'check');
    printSummary(`check: ${options.outDir} is up to date`);
  },
};
