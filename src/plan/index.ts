/**
 * What synth would put onto each shoot, as plain rows: one per ContainerRuntime, and one for each
 * shoot without runtimes. Pure: computed from the prepared run, nothing is read or written.
 */
import { ContainerRuntimeInstallation } from '../constructs/container-runtime-installation';
import { ResolvedContainerRuntime } from '../constructs/shoot-runtimes-chart';
import { ShootState, installedRecord, nextShootState, runtimeKey } from '../model/installed-state';
import { ShootRef, Taint, compareStrings, runtimeNodeLabel, shootKey } from '../model/container-runtime';

/** Where ShootRuntimesChart puts the installers (InstallerSupport's default namespace). */
const INSTALLER_NAMESPACE = 'kube-system';

/**
 * One line of the plan. The JSON output is exactly these keys, in this order (planRowJson);
 * fields that do not apply (a shoot without runtimes) are `null` or empty, never missing.
 */
export interface PlanRow {
  /** `garden-dev/alpha`: project namespace and shoot name. */
  readonly shoot: string;
  /** The worker pool. `null` for a shoot without runtimes. */
  readonly pool: string | null;
  /** The runtime type exactly as the input writes it. `null` for a shoot without runtimes. */
  readonly runtime: string | null;
  /** The catalog entry the type selected (differs from `runtime` for an alias). */
  readonly catalogType: string | null;
  /** The per-pool RuntimeClasses, `<class>-<pool>`, in catalog order. */
  readonly classes: readonly string[];
  /** The shoot-wide RuntimeClasses the runtime's classes are part of, in catalog order. */
  readonly shootClasses: readonly string[];
  /** The installer DaemonSet, `kube-system/<type>-<pool>`. */
  readonly installer: string | null;
  /** Remarks for a reviewer, in the order of the rules that made them. */
  readonly notes: readonly string[];
}

/** What a note rule sees: the ContainerRuntime and the other runtimes of its shoot. */
export interface RuntimeNoteContext {
  readonly shoot: ShootRef;
  readonly runtimes: readonly ResolvedContainerRuntime[];
}

/** Makes zero or more notes for one ContainerRuntime's row. */
export type RuntimeNote = (resolved: ResolvedContainerRuntime, context: RuntimeNoteContext) => readonly string[];

/** `kata-containers → kata`: the input used an alias of a catalog type. */
export const aliasNote: RuntimeNote = ({ runtime, definition }) =>
  (runtime.type !== definition.type ? [`${runtime.type} → ${definition.type}`] : []);

/** The pool's taints, which the per-pool classes and the installer tolerate. */
export const taintsNote: RuntimeNote = ({ runtime }) => {
  if (runtime.taints === undefined) return ['taints unknown: installer tolerates all'];
  return runtime.taints.length > 0 ? [`tolerates ${runtime.taints.map(formatTaint).join(', ')}`] : [];
};

/**
 * An assigned runtime whose pool's nodes lack Gardener's runtime label: the shoot-wide classes
 * are not rendered until the worker label is added to the pool.
 */
export const nodeLabelNote: RuntimeNote = ({ runtime, definition }) => (runtime.nodesLabelled === false
  ? [`add worker label ${runtimeNodeLabel(runtime.type)}: "true" to pool ${runtime.pool} for the shoot-wide class${definition.classes.length > 1 ? 'es' : ''} ${definition.classes.map((c) => c.name).join(', ')}`]
  : []);

/** The notes of a plan, in the order they appear in a row. */
export const RUNTIME_NOTES: readonly RuntimeNote[] = [aliasNote, taintsNote, nodeLabelNote];

/** The note of a shoot that declares no runtime: its directory only gets an empty kustomization. */
export const NO_RUNTIMES_NOTE = 'no runtimes';

export interface PlanOptions {
  /** @default RUNTIME_NOTES */
  readonly notes?: readonly RuntimeNote[];
  /**
   * What the output says is installed on each shoot: adds "install pending" to runtimes the
   * output does not have yet, and a row per pending uninstall. @default - no output to compare
   */
  readonly previousState?: (shoot: ShootRef) => ShootState | undefined;
}

export const INSTALL_PENDING_NOTE = 'install pending: not in the output yet';
/** A shoot the output holds and the inputs no longer have. */
export const REMOVAL_NOTE = 'removed: the shoot left the inputs; synth removes its directory, GitOps objects and state';
export const UNINSTALL_PENDING_NOTE = 'uninstall pending: runtime left the pool; retire when nodes are clean';

/**
 * The plan's rows, sorted by shoot, pool and runtime type (code-point order): a row per
 * ContainerRuntime, and a row with the note "no runtimes" for a shoot that has none.
 */
export function planRows(
  shoots: readonly { readonly shoot: ShootRef; readonly runtimes: readonly ResolvedContainerRuntime[]; readonly pools?: ReadonlySet<string> }[],
  options: PlanOptions = {},
): PlanRow[] {
  const notes = options.notes ?? RUNTIME_NOTES;
  const rows: PlanRow[] = [];
  for (const { shoot, runtimes, pools } of shoots) {
    const previous = options.previousState?.(shoot);
    const installedBefore = new Set((previous?.installed ?? []).map(runtimeKey));
    const current = runtimes.map(({ runtime }) => installedRecord(runtime, {}));
    for (const r of options.previousState ? nextShootState(previous, current, pools, () => false).uninstalling : []) {
      rows.push({
        shoot: shootKey(shoot), pool: r.pool, runtime: r.type, catalogType: null,
        classes: [], shootClasses: [], installer: `${INSTALLER_NAMESPACE}/${r.name}`, notes: [UNINSTALL_PENDING_NOTE],
      });
    }
    if (runtimes.length === 0) {
      if (rows.some((r) => r.shoot === shootKey(shoot))) continue;
      rows.push({
        shoot: shootKey(shoot), pool: null, runtime: null, catalogType: null,
        classes: [], shootClasses: [], installer: null, notes: [NO_RUNTIMES_NOTE],
      });
      continue;
    }
    for (const resolved of runtimes) {
      const { runtime, definition } = resolved;
      rows.push({
        shoot: shootKey(shoot),
        pool: runtime.pool,
        runtime: runtime.type,
        catalogType: definition.type,
        classes: definition.classes.map((c) => ContainerRuntimeInstallation.poolClassName(c, runtime.pool)),
        // Rendered only where some pool of the shoot carries Gardener's label for the type.
        shootClasses: runtimes.some((r) => r.runtime.type === runtime.type && r.runtime.nodesLabelled !== false)
          ? definition.classes.map((c) => c.name) : [],
        installer: `${INSTALLER_NAMESPACE}/${runtime.name}`,
        notes: [
          ...(options.previousState && !installedBefore.has(runtimeKey(runtime)) ? [INSTALL_PENDING_NOTE] : []),
          ...notes.flatMap((note) => note(resolved, { shoot, runtimes })),
        ],
      });
    }
  }
  return rows.sort((a, b) => compareStrings(a.shoot, b.shoot)
    || compareStrings(a.pool ?? '', b.pool ?? '')
    || compareStrings(a.runtime ?? '', b.runtime ?? ''));
}

/** A row as the JSON output prints it: the PlanRow keys in their documented order. */
export function planRowJson(row: PlanRow): PlanRow {
  return {
    shoot: row.shoot,
    pool: row.pool,
    runtime: row.runtime,
    catalogType: row.catalogType,
    classes: [...row.classes],
    shootClasses: [...row.shootClasses],
    installer: row.installer,
    notes: [...row.notes],
  };
}

/** `key=value:Effect`, or `key:Effect` without a value (kubectl's notation). */
export function formatTaint(taint: Taint): string {
  return `${taint.key}${taint.value === undefined ? '' : `=${taint.value}`}:${taint.effect}`;
}
