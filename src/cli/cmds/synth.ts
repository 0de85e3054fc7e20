import { CommandModule } from 'yargs';
import { planTree } from '../../output/plan';
import { applyPlan } from '../../output/write';
import { runPipeline } from '../../pipeline/run';
import { RunArguments, resolveRunOptions } from '../run-options';

export const synthCommand: CommandModule<{}, RunArguments> = {
  command: 'synth',
  describe: 'Render the manifests of every shoot into the output directory',
  builder: (yargs) => yargs
    .example('$0 synth --config examples/pipeline.yaml', 'render the example garden into dist/')
    .example('$0 synth --input garden/ --out gitops/', 'render every Shoot under garden/ into gitops/'),
  handler: (args) => {
    const options = resolveRunOptions(args);
    const { files, summary } = runPipeline(options);
    const { written, unchanged, removed } = applyPlan(options.outDir, planTree(options.outDir, files));
    process.stderr.write(
      `synth: ${summary.shoots} shoots, ${summary.pools} pools, ${summary.runtimes} runtimes; `
      + `${written} files written, ${unchanged} unchanged, ${removed} removed; ${summary.skippedDocuments} documents skipped\n`,
    );
  },
};
