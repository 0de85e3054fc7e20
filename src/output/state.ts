import { Diagnostic, DiagnosticCollector } from '../diagnostics';
import { LEGACY_POOL_LABEL, POOL_LABEL, ShootRef, Taint, shootKey } from '../model/container-runtime';
import { InstalledRuntime, ShootState, runtimeKey, stateFilePath } from '../model/installed-state';
import { nodeTargetProblems } from '../validate/input';
import { installerEnvironmentProblems } from '../validate/installer-environment';
import { DNS_LABEL, labelValueProblem, qualifiedNameProblem } from '../validate/names';
import { StateError, StateReport, isPlainObject, readStateJson, stateReporter } from './ownership';
import { OutputTree, STATE_DIR } from './tree';

/**
 * The installed state of each shoot (`.shoot-runtimes/installed/<ns>/<shoot>.json`) is committed
 * with the output, so a pull request can change it, and what it says goes into privileged
 * uninstaller DaemonSets. It is read as input: every entry must be one the tool could have
 * written for a runtime it could have installed. Names, types, pools and binaryPath go through
 * the input rules (src/validate/input.ts); the node selector must pick the entry's own pool; the
 * environment may hold only the variables the tool renders (INSTALLER_ENV_KEYS), and those must
 * agree with the entry. A hand-edited record can at worst uninstall a runtime the tool could have
 * installed, on the pool it names.
 */

const TAINT_EFFECTS: readonly Taint['effect'][] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const ENTRY_KEYS = ['name', 'type', 'pool', 'binaryPath', 'nodeSelector', 'taints', 'env'];

/** The advice for a state file that is not JSON. */
const STATE_ADVICE = 'it belongs to shoot-runtimes and is committed with the output: restore it from version control';

/**
 * Reads and checks the previous state of each of `shoots`. Problems carry the shoot they belong
 * to (so `synth --keep-going` can keep that shoot's output); a shoot with a problem has no state.
 */
export function readShootStates(tree: OutputTree | undefined, shoots: readonly ShootRef[]): { states: Map<string, ShootState>; problems: Diagnostic[] } {
  const states = new Map<string, ShootState>();
  if (tree === undefined) return { states, problems: [] };
  const problems = new DiagnosticCollector();
  for (const shoot of shoots) {
    const key = shootKey(shoot);
    const rel = stateFilePath(shoot);
    const shootProblems = new DiagnosticCollector();
    const raw = readStateJson(tree, rel, shootProblems, STATE_ADVICE);
    const state = raw === undefined ? undefined : parseShootState(raw, stateReporter(tree.abs(rel), shootProblems, key));
    for (const d of shootProblems.located()) problems.add({ ...d, shoot: key });
    if (state && shootProblems.count === 0) states.set(key, state);
  }
  return { states, problems: problems.located() };
}

/** A shoot's state, checked entry by entry; `undefined` (with the problems reported) when it has any problem. */
export function parseShootState(raw: unknown, report: StateReport): ShootState | undefined {
  let bad = false;
  const flag: StateReport = (field, message) => { bad = true; report(field, message); };
  if (!isPlainObject(raw)) return flag('', 'must be a JSON object with "installed" and "uninstalling" lists'), undefined;
  for (const k of Object.keys(raw)) if (k !== 'installed' && k !== 'uninstalling') flag(k, 'unknown field');
  const lists = { installed: [] as InstalledRuntime[], uninstalling: [] as InstalledRuntime[] };
  const names = new Set<string>();
  for (const list of ['installed', 'uninstalling'] as const) {
    const entries = raw[list];
    if (!Array.isArray(entries)) { flag(list, 'must be a list'); continue; }
    const keys = new Set<string>();
    entries.forEach((entry, i) => {
      const at = `${list}[${i}]`;
      const r = parseInstalledRuntime(entry, (field, message) => flag(field === '' ? at : `${at}.${field}`, message));
      if (!r) return;
      if (keys.has(runtimeKey(r))) flag(at, `runtime "${r.type}" of pool "${r.pool}" is listed twice`);
      if (names.has(r.name)) flag(`${at}.name`, `"${r.name}" is listed twice`);
      keys.add(runtimeKey(r));
      names.add(r.name);
      lists[list].push(r);
    });
  }
  return bad ? undefined : lists;
}

/** One entry: what an installer was rendered with, checked as if it were fresh input. */
export function parseInstalledRuntime(raw: unknown, report: StateReport): InstalledRuntime | undefined {
  if (!isPlainObject(raw)) return report('', 'must be a JSON object'), undefined;
  let bad = false;
  const flag: StateReport = (field, message) => { bad = true; report(field, message); };
  for (const k of Object.keys(raw)) if (!ENTRY_KEYS.includes(k)) flag(k, 'unknown field');
  const { name, type, pool, binaryPath } = raw;
  for (const [field, value] of Object.entries({ name, type, pool, binaryPath })) {
    if (typeof value !== 'string') flag(field, 'must be a string');
  }
  if (bad) return undefined;
  const target = { name: name as string, type: type as string, pool: pool as string, binaryPath: binaryPath as string };
  if (!DNS_LABEL.test(target.name)) flag('name', `"${target.name}" must be a DNS label (the installer DaemonSet's name)`);
  const nodeSelector = parseNodeSelector(raw.nodeSelector, target.pool, flag);
  const taints = raw.taints === undefined ? undefined : parseTaints(raw.taints, flag);
  // The same rules as fresh input (src/validate/input.ts): names, the host directory rule, labels, taints.
  // (a selector already refused above is not reported twice)
  for (const p of nodeTargetProblems({ ...target, nodeSelector: nodeSelector ?? {}, ...(taints ? { taints } : {}) })) {
    if (nodeSelector || p.field !== 'nodeSelector') flag(p.field, p.message);
  }
  const env = parseEnvironment(raw.env, target, flag);
  if (bad || !nodeSelector || !env) return undefined;
  return { ...target, nodeSelector, ...(taints ? { taints } : {}), env };
}

/** Labels only, and among them the pool's own label with the pool's name: it can only narrow to the pool's nodes. */
function parseNodeSelector(raw: unknown, pool: string, report: StateReport): Record<string, string> | undefined {
  if (!isPlainObject(raw)) return report('nodeSelector', 'must be a map of node labels'), undefined;
  let bad = false;
  for (const [key, value] of Object.entries(raw)) {
    if (qualifiedNameProblem(key)) { bad = true; report(`nodeSelector.${key}`, 'is not a label key'); }
    if (typeof value !== 'string' || labelValueProblem(value)) { bad = true; report(`nodeSelector.${key}`, 'must be a label value'); }
  }
  if (raw[POOL_LABEL] !== pool && raw[LEGACY_POOL_LABEL] !== pool) {
    bad = true;
    report('nodeSelector', `must select the pool's nodes: ${POOL_LABEL} (or ${LEGACY_POOL_LABEL}) must be "${pool}"`);
  }
  return bad ? undefined : raw as Record<string, string>;
}

function parseTaints(raw: unknown, report: StateReport): Taint[] | undefined {
  if (!Array.isArray(raw)) return report('taints', 'must be a list'), undefined;
  const taints: Taint[] = [];
  raw.forEach((t, i) => {
    const at = `taints[${i}]`;
    if (!isPlainObject(t) || Object.keys(t).some((k) => !['key', 'value', 'effect'].includes(k))) return report(at, 'must be a taint: key, value, effect');
    if (typeof t.key !== 'string' || qualifiedNameProblem(t.key)) return report(`${at}.key`, 'must be a taint key');
    if (t.value !== undefined && (typeof t.value !== 'string' || labelValueProblem(t.value))) return report(`${at}.value`, 'must be a taint value');
    if (!TAINT_EFFECTS.includes(t.effect as Taint['effect'])) return report(`${at}.effect`, `must be one of ${TAINT_EFFECTS.join(', ')}`);
    taints.push({ key: t.key, ...(t.value !== undefined ? { value: t.value as string } : {}), effect: t.effect as Taint['effect'] });
  });
  return taints.length === raw.length ? taints : undefined;
}

/**
 * Only the variables the tool renders, agreeing with the entry; never a command. The value rules
 * are install.sh's own, shared with synth (src/validate/installer-environment.ts).
 */
function parseEnvironment(
  raw: unknown, target: { type: string; pool: string; binaryPath: string }, report: StateReport,
): Record<string, string> | undefined {
  if (!isPlainObject(raw)) return report('env', 'must be a map of the installer\'s variables'), undefined;
  let bad = false;
  const flag = (key: string, message: string) => { bad = true; report(`env.${key}`, message); };
  for (const p of installerEnvironmentProblems(raw)) flag(p.key, p.message);
  if (bad) return undefined;
  const env = raw as Record<string, string>;
  const agree = { BINARY_PATH: target.binaryPath, POOL_NAME: target.pool, RUNTIME_NAME: target.type };
  for (const [key, expected] of Object.entries(agree)) {
    if (env[key] !== expected) flag(key, `must be "${expected}", as the entry says`);
  }
  const handlers = env.RUNTIME_HANDLERS.split(' ');
  for (const line of env.RUNTIME_TABLES.split('\n')) {
    const header = /^\[([^.\]]+)(\.options)?\]$/.exec(line);
    if (line.startsWith('[') && (!header || !handlers.includes(header[1]))) flag('RUNTIME_TABLES', `table ${line} is not one of the listed handlers'`);
  }
  return bad ? undefined : env;
}

/**
 * How many synth runs each pending uninstall has been rendered in (`shoot/pool/type` -> runs):
 * tool state, not output, so that check never depends on it.
 */
export function uninstallRunsPath(shard?: string): string {
  return `${STATE_DIR}/uninstall-runs${shard ? `.${shard}` : ''}.json`;
}

export function uninstallKey(shoot: ShootRef, r: InstalledRuntime): string {
  return `${shoot.projectNamespace}/${shoot.name}/${runtimeKey(r)}`;
}

const RUNS_ADVICE = 'it counts synth runs per pending uninstall (spec.uninstall.retireAfterRuns): restore it from version control or delete it (the counts start again)';

export class UninstallRuns {
  private readonly next: Record<string, number> = {};
  private readonly previous: Readonly<Record<string, number>>;

  /** Reads the counts; throws a StateError when the file is not a map of counts. */
  constructor(private readonly tree: OutputTree, private readonly shard?: string) {
    const problems = new DiagnosticCollector();
    const rel = uninstallRunsPath(shard);
    const raw = readStateJson(tree, rel, problems, RUNS_ADVICE);
    const report = stateReporter(tree.abs(rel), problems);
    const previous: Record<string, number> = {};
    if (raw !== undefined && !isPlainObject(raw)) report('', `must be a JSON object of counts; ${RUNS_ADVICE}`);
    else {
      for (const [key, runs] of Object.entries(raw ?? {})) {
        if (!Number.isSafeInteger(runs) || (runs as number) < 0) report(JSON.stringify(key), 'must be a whole number of runs');
        else previous[key] = runs as number;
      }
    }
    if (problems.count > 0) throw new StateError(problems.located());
    this.previous = previous;
  }

  /** Runs a pending uninstall has been rendered in so far. */
  public runs(shoot: ShootRef, r: InstalledRuntime): number {
    return this.previous[uninstallKey(shoot, r)] ?? 0;
  }

  /** Counts this run for every uninstall of a shoot's new state. */
  public record(shoot: ShootRef, state: ShootState): void {
    for (const r of state.uninstalling) this.next[uninstallKey(shoot, r)] = this.runs(shoot, r) + 1;
  }

  /** Keeps a shoot's counts as they were (its last output is kept: `synth --keep-going`). */
  public keep(shoot: ShootRef): void {
    const prefix = `${shootKey(shoot)}/`;
    for (const [key, runs] of Object.entries(this.previous)) if (key.startsWith(prefix)) this.next[key] = runs;
  }

  /** Writes the counts (after the tree was written); removes the file when nothing is pending. */
  public save(): void {
    const rel = uninstallRunsPath(this.shard);
    const keys = Object.keys(this.next).sort();
    if (keys.length === 0) return void this.tree.remove(rel);
    this.tree.writeAtomically(rel, `${JSON.stringify(Object.fromEntries(keys.map((k) => [k, this.next[k]])), null, 2)}\n`);
  }
}
