import { CommandModule } from 'yargs';
import { resolveRunOptions } from '../run-options';
import { SynthArguments, synthesize } from './synth';

export const retireCommand: CommandModule<{}, SynthArguments> = {
  command: 'retire',
  describe: 'Synth, and retire every pending uninstall: its DaemonSet leaves the output',
  builder: (yargs) => yargs
    .option('allow-removal', { type: 'boolean', describe: 'Let the run remove every shoot of the output, or more than 10% of them' })
    .example('$0 retire --config pipeline.yaml', 'once the uninstall pods report clean nodes, drop them') as never,
  handler: (args) => synthesize(resolveRunOptions(args), 'retire', true),
};
