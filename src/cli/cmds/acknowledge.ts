import * as os from 'os';
import * as path from 'path';
import { CommandModule } from 'yargs';
import { printSummary } from '../format';
import { UsageError } from '../run-options';
import { runCatalog } from './catalog';

export interface AcknowledgeArguments {
  readonly config?: string;
  readonly once?: boolean;
  readonly types?: readonly string[];
}

/** Set when `--once` could not acknowledge every pending object: the CLI exits 1. */
export class AcknowledgeFailed extends Error {}

/** `--types`, or every type and alias the catalog knows (with --config, the pipeline file's). */
export function acknowledgedTypes(args: AcknowledgeArguments): string[] {
  const types = args.types?.flatMap((t) => t.split(',')).map((t) => t.trim()).filter((t) => t !== '');
  if (args.types !== undefined && types?.length === 0) throw new UsageError('--types needs at least one runtime type');
  return types ?? runCatalog(args.config).knownNames;
}

export const acknowledgeCommand: CommandModule<{}, AcknowledgeArguments> = {
  command: 'acknowledge',
  describe: 'Answer gardenlet for ContainerRuntimes of the runtime types (what the seed\'s acknowledger does), against KUBECONFIG',
  builder: (yargs) => yargs
    .option('once', { type: 'boolean', describe: 'Acknowledge what is pending now, then exit' })
    .option('types', { type: 'string', array: true, describe: 'Only these runtime types (comma-separated or repeated). Default: every type the catalog knows' })
    .example('KUBECONFIG=seed.yaml $0 acknowledge --once --types gvisor', 'answer pending gVisor ContainerRuntimes of a seed and exit')
    .example('$0 acknowledge --config pipeline.yaml', 'keep answering for every type of the pipeline file\'s catalog until SIGTERM') as never,
  handler: async (args) => {
    // Loaded here, not with the CLI: every other command starts without the Kubernetes client.
    const [{ Acknowledger }, { KubeClient }, { kubeconfigConnection }] = await Promise.all([
      import('../../acknowledger/acknowledger'), import('../../acknowledger/client'), import('../../acknowledger/kubeconfig'),
    ]);
    const types = acknowledgedTypes(args);
    const file = (process.env.KUBECONFIG ?? path.join(os.homedir(), '.kube', 'config')).split(path.delimiter)[0];
    let connection;
    try {
      connection = kubeconfigConnection(file);
    } catch (error) {
      throw new AcknowledgeFailed(`cannot use the kubeconfig: ${(error as Error).message}`);
    }
    const acknowledger = new Acknowledger({ client: new KubeClient(connection), types });
    if (args.once) {
      const { acknowledged, failed } = await acknowledger.once().catch((error: Error) => {
        throw new AcknowledgeFailed(error.message);
      });
      if (failed > 0) throw new AcknowledgeFailed(`${failed} ContainerRuntime(s) could not be acknowledged; ${acknowledged} were`);
      printSummary(`acknowledge: ${acknowledged} ContainerRuntime(s) acknowledged`);
      return;
    }
    const stop = () => acknowledger.stop();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    await acknowledger.run();
  },
};
