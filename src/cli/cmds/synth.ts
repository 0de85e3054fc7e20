import { CommandModule } from 'yargs';
import { writeTree } from '../../output/write';
import { prepareRun, renderRun } from '../../pipeline/run';
import { inShard, shardName } from '../../pipeline/shard';
import { printSummary } from '../format';
import { Progress } from '../progress';
import { RunArguments, resolveRunOptions } from '../run-options';

export const synthCommand: CommandModule<{}, RunArguments> = {
  command: 'synth',
  describe: 'Render the manifests of every shoot into the output directory',
  builder: (yargs) => yargs
    .example('$0 synth --config examples/pipeline.yaml', 'render the example garden into dist/')
    .example('$0 synth --input garden/ --out gitops/', 'render every Shoot under garden/ into gitops/')
    .example('$0 synth --config pipeline.yaml --shard 2/4', 'render the second of four shares of the fleet (a CI matrix job)'),
  handler: (args) => {
    const options = resolveRunOptions(args);
    const prepared = prepareRun(options);
    const { shard } = options;
    const progress = new Progress('synth:');
    const files = renderRun(prepared, shard ? (s) => inShard(shard, s) : undefined, (done, total) => progress.update(done, total));
    let result;
    try {
      result = writeTree(options.outDir, files, shard && shardName(shard));
    } finally {
      progress.done();
    }
    const { summary } = prepared;
    printSummary(
      `synth: ${summary.shoots} shoots, ${summary.pools} pools, ${summary.runtimes} runtimes; `
      + `${result.written} files written, ${result.unchanged} unchanged, ${result.removed} removed; `
      + `${summary.skippedDocuments} documents skipped${shard ? ` (shard ${shard.index}/${shard.count})` : ''}`,
    );
  },
};
