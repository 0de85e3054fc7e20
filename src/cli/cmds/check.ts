import { CommandModule } from 'yargs';
import { checkReport } from '../../output/check';
import { planTree } from '../../output/plan';
import { runPipeline } from '../../pipeline/run';
import { RunArguments, resolveRunOptions } from '../run-options';

/** Set when check found a difference: the CLI exits 1. */
export class CheckFailed extends Error {}

export const checkCommand: CommandModule<{}, RunArguments> = {
  command: 'check',
  describe: 'Exit 0 when the output directory holds exactly what synth would write; never writes',
  builder: (yargs) => yargs
    .example('$0 check --config pipeline.yaml', 'fail CI when someone forgot to run synth'),
  handler: (args) => {
    const options = resolveRunOptions(args);
    const { files } = runPipeline(options);
    const report = checkReport(options.outDir, planTree(options.outDir, files));
    if (report.length > 0) {
      process.stdout.write(`${report.join('\n')}\n`);
      throw new CheckFailed(`${options.outDir} is not what synth would write`);
    }
    process.stderr.write(`check: ${options.outDir} is up to date\n`);
  },
};
