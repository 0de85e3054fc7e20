import { CommandModule } from 'yargs';
import { RunArguments, resolveRunOptions } from '../run-options';
import { synthesize } from './synth';

export const retireCommand: CommandModule<{}, RunArguments> = {
  command: 'retire',
  describe: 'Synth, and retire every pending uninstall: its DaemonSet leaves the output',
  builder: (yargs) => yargs
    .example('$0 retire --config pipeline.yaml', 'once the uninstall pods report clean nodes, drop them'),
  handler: (args) => synthesize(resolveRunOptions(args), 'retire', true),
};
