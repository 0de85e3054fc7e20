import * as fs from 'fs';
import * as path from 'path';
import { CommandModule } from 'yargs';
import { compareStrings, shootKey } from '../../model/container-runtime';
import { STATE_DIR, StateError, readRecords } from '../../output/ownership';
import { exceedsGuard, shootsIn } from '../../output/removal';
import { readShootStates } from '../../output/state';
import { OutputTree } from '../../output/tree';
import { prepareRun } from '../../pipeline/run';
import { inShard, shardName } from '../../pipeline/shard';
import { PlanRow, REMOVAL_NOTE, planRowJson, planRows } from '../../plan';
import { Column, FORMAT_OPTION, Format, TableOptions, colorEnabled, formatJson, formatTable, printSummary } from '../format';
import { RunArguments, resolveRunOptions } from '../run-options';

export interface PlanArguments extends RunArguments {
  readonly format: Format;
}

const COLUMNS: readonly Column[] = [
  { header: 'SHOOT' },
  { header: 'POOL' },
  { header: 'RUNTIME', style: 'cyan' },
  { header: 'CLASSES [SHOOT-WIDE]' },
  { header: 'INSTALLER' },
  { header: 'NOTES', style: 'yellow' },
];

/** The plan as a table: classes as `<per-pool>, ... [<shoot-wide>, ...]`, notes joined by `; `. */
export function formatPlanTable(rows: readonly PlanRow[], options: TableOptions): string {
  return formatTable(COLUMNS, rows.map((r) => [
    r.shoot,
    r.pool ?? undefined,
    r.runtime ?? undefined,
    r.classes.length > 0 ? `${r.classes.join(', ')} [${r.shootClasses.join(', ')}]` : undefined,
    r.installer ?? undefined,
    r.notes.join('; '),
  ]), options);
}

/** A shoot the output holds that the inputs no longer have: synth removes it. */
function removalRow(shoot: string): PlanRow {
  return { shoot, pool: null, runtime: null, catalogType: null, classes: [], shootClasses: [], installer: null, notes: [REMOVAL_NOTE] };
}

export const planCommand: CommandModule<{}, PlanArguments> = {
  command: 'plan',
  describe: 'Show, per shoot and pool, the RuntimeClasses and installers synth would render; never writes',
  builder: (yargs) => yargs
    .option('format', FORMAT_OPTION)
    .example('$0 plan --config examples/pipeline.yaml', 'review what the example garden gets')
    .example('$0 plan --input garden/ --format json', 'the plan as JSON, for a script or a CI comment')
    .example('$0 plan --config pipeline.yaml --shard 2/4', 'only the second of four shares of the fleet') as never,
  handler: (args) => {
    const options = resolveRunOptions(args, false);
    const { shard } = options;
    const prepared = prepareRun(options);
    const shoots = shard ? prepared.shoots.filter((s) => inShard(shard, s.shoot)) : prepared.shoots;
    // With an output directory that synth wrote, the plan also shows pending installs and
    // uninstalls, and the shoots a synth would remove.
    const output = fs.existsSync(path.join(options.outDir, STATE_DIR)) ? OutputTree.open(options.outDir, false) : undefined;
    const { states, problems } = readShootStates(output, shoots.map((s) => s.shoot));
    if (problems.length > 0) throw new StateError(problems);
    const held = output ? shootsIn(readRecords(output, shard && shardName(shard)).owned.keys()) : [];
    const planned = new Set(shoots.map((s) => shootKey(s.shoot)));
    const removed = held.filter((key) => !planned.has(key));
    const rows = [...planRows(shoots, { previousState: output ? (s) => states.get(shootKey(s)) : undefined }), ...removed.map(removalRow)]
      .sort((a, b) => compareStrings(a.shoot, b.shoot) || compareStrings(a.pool ?? '', b.pool ?? '') || compareStrings(a.runtime ?? '', b.runtime ?? ''));
    process.stdout.write(args.format === 'json'
      ? formatJson(rows.map(planRowJson))
      : formatPlanTable(rows, { color: colorEnabled() }));
    const runtimes = rows.filter((r) => r.runtime !== null);
    printSummary(`plan: ${new Set(rows.map((r) => r.shoot)).size} shoots, `
      + `${new Set(runtimes.map((r) => `${r.shoot}/${r.pool}`)).size} pools, ${runtimes.length} runtimes; `
      + `${prepared.summary.skippedDocuments} documents skipped`
      + `${removed.length ? `; ${removed.length} of ${held.length} shoots would be removed${exceedsGuard(removed.length, held.length) && !options.allowRemoval ? ' (synth refuses without --allow-removal)' : ''}` : ''}`
      + `; nothing written${shard ? ` (shard ${shard.index}/${shard.count})` : ''}`);
  },
};
