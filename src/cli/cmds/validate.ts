import { CommandModule } from 'yargs';
import { runPipeline } from '../../pipeline/run';
import { printSummary } from '../format';
import { RunArguments, resolveRunOptions } from '../run-options';

export const validateCommand: CommandModule<{}, RunArguments> = {
  command: 'validate',
  describe: 'Run every check on the inputs and the generated objects; write nothing',
  builder: (yargs) => yargs
    .example('$0 validate --input garden/', 'check a change to the Shoots before it is merged'),
  handler: (args) => {
    const { summary } = runPipeline(resolveRunOptions(args, false));
    printSummary(`validate: ${summary.shoots} shoots, ${summary.pools} pools, ${summary.runtimes} runtimes are valid`);
  },
};
