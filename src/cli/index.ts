import yargs from 'yargs';
import { formatDiagnostic, InputError } from '../diagnostics';
import { AcknowledgeFailed, acknowledgeCommand } from './cmds/acknowledge';
import { catalogCommand } from './cmds/catalog';
import { CheckFailed, checkCommand } from './cmds/check';
import { setQuiet } from './format';
import { planCommand } from './cmds/plan';
import { retireCommand } from './cmds/retire';
import { synthCommand } from './cmds/synth';
import { validateCommand } from './cmds/validate';
import { ForeignFilesError } from '../output/write';
import { OutputError } from '../validate/output';
import { UsageError } from './run-options';

/** Exit codes, as documented in the README. */
export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;

/** A run lists at most this many problems (and how many more there are). */
const MAX_SHOWN_PROBLEMS = 50;

/** Runs the CLI; resolves to the exit code. User errors never print a stack trace. */
export async function main(argv: readonly string[]): Promise<number> {
  const parser = yargs([...argv])
    .scriptName('shoot-runtimes')
    .usage('$0 <command> [options]\n\nRenders GitOps manifests that install container runtimes onto Gardener worker pools.')
    .option('config', { type: 'string', describe: 'The pipeline file (shoot-runtimes.dev/v1alpha1 Pipeline)' })
    .option('input', { type: 'string', array: true, describe: 'A file or directory of Gardener manifests; repeatable. Wins over spec.sources' })
    .option('out', { type: 'string', describe: 'The output directory. Wins over spec.output.dir' })
    .option('shard', { type: 'string', describe: 'I/N: only the I-th of N deterministic shares of the shoots (synth, check, plan)' })
    .option('quiet', { type: 'boolean', describe: 'No success summary lines; problems are always printed' })
    .middleware((args) => setQuiet(args.quiet === true))
    .command(synthCommand as never)
    .command(checkCommand as never)
    .command(validateCommand as never)
    .command(retireCommand as never)
    .command(planCommand as never)
    .command(catalogCommand as never)
    .command(acknowledgeCommand as never)
    .demandCommand(1, 'give a command')
    .strict()
    .recommendCommands()
    .showHelpOnFail(false)
    .help()
    .version(false)
    .fail((message, error) => {
      throw error ?? new UsageError(message);
    });
  try {
    await parser.parseAsync();
    return EXIT_OK;
  } catch (error) {
    if (error instanceof ForeignFilesError) {
      for (const d of error.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      process.stderr.write(`error: ${error.diagnostics.length} file(s) in the output directory were not written by shoot-runtimes; nothing was written\n`);
      return EXIT_INVALID;
    }
    if (error instanceof InputError) {
      const shown = error.diagnostics.slice(0, MAX_SHOWN_PROBLEMS);
      for (const d of shown) process.stderr.write(`${formatDiagnostic(d)}\n`);
      const more = error.diagnostics.length - shown.length;
      if (more > 0) process.stderr.write(`... and ${more} more\n`);
      process.stderr.write(`error: ${error.diagnostics.length} problem(s) in the input; nothing was written\n`);
      return EXIT_INVALID;
    }
    if (error instanceof OutputError) {
      for (const v of error.violations) process.stderr.write(`${v}\n`);
      process.stderr.write('error: a generated object broke its schema or a safety rule; this is a bug in shoot-runtimes, please report it. Nothing was written.\n');
      return EXIT_INVALID;
    }
    if (error instanceof AcknowledgeFailed) {
      process.stderr.write(`acknowledge: ${error.message}\n`);
      return EXIT_INVALID;
    }
    if (error instanceof CheckFailed) {
      process.stderr.write(`check: ${error.message}\n`);
      return EXIT_INVALID;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`${await parser.getHelp()}\n\nerror: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
