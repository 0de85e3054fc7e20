import yargs from 'yargs';
import { Diagnostic, formatDiagnostic, InputError, printable } from '../diagnostics';
import { shootKey } from '../model/container-runtime';
import { StateError } from '../output/ownership';
import { MassRemovalError } from '../output/removal';
import { FileSystemError, fileSystemError, isErrnoError } from '../output/tree';
import { AcknowledgeFailed, acknowledgeCommand } from './cmds/acknowledge';
import { catalogCommand } from './cmds/catalog';
import { CheckFailed, checkCommand } from './cmds/check';
import { setQuiet } from './format';
import { planCommand } from './cmds/plan';
import { retireCommand } from './cmds/retire';
import { KeptOutput, synthCommand } from './cmds/synth';
import { validateCommand } from './cmds/validate';
import { ForeignFilesError } from '../output/write';
import { OutputError } from '../validate/output';
import { UsageError } from './run-options';

/** Exit codes, as documented in the README. */
export const EXIT_OK = 0;
export const EXIT_INVALID = 1;
export const EXIT_USAGE = 2;
/** `--keep-going`: everything else rendered (or up to date), some shoots kept their last output. */
export const EXIT_KEPT = 3;

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
    if (error instanceof FileSystemError) {
      for (const d of error.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      process.stderr.write(error.partial
        ? 'error: the output directory is partly written; its journal names the rest: fix the problem and run synth again to complete it\n'
        : 'error: a problem with the file system, not the input; nothing was written\n');
      return EXIT_INVALID;
    }
    if (error instanceof StateError) {
      printProblems(error.diagnostics);
      process.stderr.write(`error: ${error.diagnostics.length} problem(s) in the output directory's state (.shoot-runtimes/); nothing was written\n`);
      return EXIT_INVALID;
    }
    if (error instanceof MassRemovalError) {
      const shown = error.removed.slice(0, MAX_SHOWN_PROBLEMS);
      for (const shoot of shown) process.stderr.write(`would remove: ${shoot} (its directory, GitOps objects and state)\n`);
      if (error.removed.length > shown.length) process.stderr.write(`... and ${error.removed.length - shown.length} more\n`);
      process.stderr.write(`error: ${error.message} (the limit is all of them or more than 10%); nothing was written. `
        + 'If the inputs are right, run again with --allow-removal (or spec.output.allowRemoval: true)\n');
      return EXIT_INVALID;
    }
    if (error instanceof KeptOutput) {
      printProblems(error.failed.flatMap((f) => f.diagnostics));
      process.stderr.write(`error: ${error.failed.length} shoot(s) kept their last output because of the problems above: ${error.failed.map((f) => shootKey(f.shoot)).join(', ')}\n`);
      return EXIT_KEPT;
    }
    if (error instanceof ForeignFilesError) {
      for (const d of error.diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
      process.stderr.write(`error: ${error.diagnostics.length} path(s) in the output directory are in the way (not written by shoot-runtimes, changed since it wrote them, or symbolic links); nothing was written\n`);
      return EXIT_INVALID;
    }
    if (error instanceof InputError) {
      printProblems(error.diagnostics);
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
    if (isErrnoError(error)) {
      // A file-system condition no stage wrapped (an unreadable file check came across): still one line.
      process.stderr.write(`${formatDiagnostic(fileSystemError(error).diagnostics[0])}\nerror: a problem with the file system, not the input\n`);
      return EXIT_INVALID;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`${await parser.getHelp()}\n\nerror: ${printable(error.message)}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

/** At most MAX_SHOWN_PROBLEMS problems, and how many more there are. */
function printProblems(diagnostics: readonly Diagnostic[]): void {
  const shown = diagnostics.slice(0, MAX_SHOWN_PROBLEMS);
  for (const d of shown) process.stderr.write(`${formatDiagnostic(d)}\n`);
  const more = diagnostics.length - shown.length;
  if (more > 0) process.stderr.write(`... and ${more} more\n`);
}

if (require.main === module) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
