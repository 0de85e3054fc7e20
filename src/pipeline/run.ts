import { createHash } from 'crypto';
import { Catalog } from '../catalog';
import { renderRuntimeConfig } from '../catalog/runtime-config';
import { RuntimeDefinition } from '../catalog/types';
import { ResolvedContainerRuntime } from '../constructs/shoot-runtimes-chart';
import { Diagnostic, DiagnosticCollector, InputError } from '../diagnostics';
import { GitopsConfig, RenderedShoot, generateGitops } from '../gitops';
import { installerEnvironment } from '../installer/environment';
import { GardenExtension, GardenerExtensionOptions, generateGarden, resolveGardenExtension } from '../gardener/extension';
import { ShootRef, compareStrings, shootKey } from '../model/container-runtime';
import { ImagePolicy, RegistryOptions } from './registry';
import { InstalledRuntime, ShootState, installedRecord, nextShootState, sharedFiles, stateFilePath, stateText } from '../model/installed-state';
import { installerVersion } from '../constructs/installer-support';
import { installerFiles } from '../installer/script';
import { toolFingerprint } from '../output/fingerprints';
import { RenderedFile, generateInstaller, installerDirectory, shootDirectory, toRenderedFiles } from '../output/render';
import { shootOfPath } from '../output/tree';
import { OutputError, checkGenerated } from '../validate/output';
import { readContainerRuntimes } from '../sources';
import { Assignment } from '../sources/shoot';
import { gitopsShootProblems } from '../validate/gitops';
import { ShootJob } from './render-pool';
import { INLINE_RENDERS, ShootRenderer, Ticket } from './shoot-renderer';
import { checkContainerRuntime, checkGeneratedNames, checkInstallerEnvironment } from '../validate/input';

/** What one run of the pipeline works on. */
export interface PipelineOptions {
  /** Files or directories of Gardener manifests. */
  readonly inputs: readonly string[];
  /** Catalog overrides and additions (the pipeline file's `spec.runtimes`). @default - none */
  readonly runtimes?: readonly RuntimeDefinition[];
  /** Runtimes the pipeline file assigns to pools of matching shoots. @default - none */
  readonly assignments?: readonly Assignment[];
  /** Image mirror, pull secret, digest policy, installer image (`spec.registry`). @default - images as the catalog names them */
  readonly registry?: RegistryOptions;
  /** Flux and Argo CD objects, and where the output lies in the Git repository. @default - none */
  readonly gitops?: { readonly config: GitopsConfig; readonly outputPath: string };
  /** The installer's files, name to text (a library's own script). @default - the bundled files (installerFiles) */
  readonly installerFiles?: Readonly<Record<string, string>>;
  /** The garden's registration and acknowledger (`spec.gardener.extension`). @default - none */
  readonly gardenerExtension?: GardenerExtensionOptions;
}

/** Counts for the run's summary line. */
export interface PipelineSummary {
  readonly shoots: number;
  readonly pools: number;
  readonly runtimes: number;
  /** Documents of other kinds than Shoot and ContainerRuntime. */
  readonly skippedDocuments: number;
}

export interface PipelineResult {
  /** Every file of the output tree, sorted by path. */
  readonly files: readonly RenderedFile[];
  readonly summary: PipelineSummary;
}

/** The inputs read, modelled, checked and resolved: everything up to rendering. */
export interface PreparedRun {
  /** Every shoot of the inputs (sorted), with its ContainerRuntimes resolved against the catalog. */
  readonly shoots: readonly {
    readonly shoot: ShootRef;
    readonly runtimes: readonly ResolvedContainerRuntime[];
    /** The shoot's worker pools; `undefined` when known only from ContainerRuntime objects. */
    readonly pools?: ReadonlySet<string>;
  }[];
  /** Shoots left out because their input has problems (only with `keepGoing`). */
  readonly failed: readonly FailedShoot[];
  readonly summary: PipelineSummary;
  readonly options: PipelineOptions;
  /** The installers' image (mirrored) and pull secret. */
  readonly installer: { readonly image: string; readonly pullSecret?: string };
  /** What the garden's files register and deploy. @default - no garden files */
  readonly garden?: GardenExtension;
}

/**
 * The stages before rendering: read sources -> ContainerRuntime model -> check and resolve
 * against the catalog. Throws an InputError carrying every problem of the inputs; with
 * `keepGoing`, problems that each belong to one shoot only take those shoots out of the run
 * (`failed`), and any other problem still throws.
 */
export function prepareRun(options: PipelineOptions, mode: { readonly keepGoing?: boolean } = {}): PreparedRun {
  const problems = new DiagnosticCollector();
  const catalog = Catalog.withOverrides(options.runtimes);
  const model = readContainerRuntimes(options.inputs, problems, options.assignments);

  const images = new ImagePolicy(options.registry ?? {}, problems);
  const byShoot = new Map<string, ResolvedContainerRuntime[]>(model.shoots.map((key) => [key, []]));
  for (const runtime of model.runtimes) {
    const found = checkContainerRuntime(runtime, catalog, problems);
    const definition = found && images.resolve(runtime, found);
    if (!definition) continue;
    const runtimeConfig = renderRuntimeConfig(runtime, definition, problems);
    if (!checkInstallerEnvironment(runtime, definition, runtimeConfig, problems)) continue;
    const key = `${runtime.shoot.projectNamespace}/${runtime.shoot.name}`;
    byShoot.get(key)!.push({ runtime, definition, runtimeConfig });
  }
  for (const runtimes of byShoot.values()) checkGeneratedNames(runtimes, problems);
  const garden = options.gardenerExtension && resolveGardenExtension(options.gardenerExtension, model.runtimes, catalog, images.acknowledgerImage, problems);
  const gitops = options.gitops?.config;
  for (const key of gitops ? byShoot.keys() : []) {
    for (const p of gitopsShootProblems(gitops!, shootOf(key))) {
      problems.add({ origin: gitops!.source?.origin ?? { file: 'spec.gitops', line: 0 }, subject: gitops!.source?.subject, shoot: key, ...p });
    }
  }
  const failed = new Map<string, Diagnostic[]>();
  if (problems.count > 0) {
    const located = problems.located();
    // Only problems that belong to one shoot let the others go on; anything else stops the run.
    if (!mode.keepGoing || located.some((d) => d.shoot === undefined)) throw new InputError(located);
    for (const d of located) failed.set(d.shoot!, [...failed.get(d.shoot!) ?? [], d]);
  }
  const valid = [...byShoot].filter(([key]) => !failed.has(key));
  return {
    shoots: valid.map(([key, runtimes]) => ({ shoot: shootOf(key), runtimes, pools: model.pools.get(key) })),
    failed: [...failed].sort(([a], [b]) => compareStrings(a, b)).map(([key, diagnostics]) => ({ shoot: shootOf(key), diagnostics })),
    summary: summarize(valid.map(([, runtimes]) => ({ runtimes })), model.skipped),
    options,
    installer: images.installer,
    ...(garden ? { garden } : {}),
  };
}

/** A shoot whose input has problems, with them: `synth --keep-going` keeps its last output. */
export interface FailedShoot {
  readonly shoot: ShootRef;
  readonly diagnostics: readonly Diagnostic[];
}

/** Counts for a summary line: shoots, their pools with runtimes, their runtimes. */
export function summarize(shoots: readonly { readonly runtimes: readonly ResolvedContainerRuntime[] }[], skippedDocuments: number): PipelineSummary {
  return {
    shoots: shoots.length,
    pools: shoots.reduce((n, s) => n + new Set(s.runtimes.map((r) => r.runtime.pool)).size, 0),
    runtimes: shoots.reduce((n, s) => n + s.runtimes.length, 0),
    skippedDocuments,
  };
}

/** How renderRun runs: which shoots, what was installed before, progress. */
export interface RenderOptions {
  /** Only these shoots (a shard). @default - every shoot */
  readonly select?: (shoot: ShootRef) => boolean;
  /** What the output said was installed on a shoot before this run. @default - nothing (a fresh output) */
  readonly previousState?: (shoot: ShootRef) => ShootState | undefined;
  /** Whether a pending uninstall is retired now (dropped from the output). @default - none is */
  readonly retire?: (shoot: ShootRef, r: InstalledRuntime) => boolean;
  /** The shard's name (`shard-2-of-4`), for the objects a shard writes once. @default - an unsharded run */
  readonly shard?: string;
  /**
   * Incremental synth: a shoot's files without rendering them, when they provably are what
   * rendering would give for this fingerprint (Fingerprints.reuse); `undefined` renders.
   * @default - every shoot is rendered
   */
  readonly reuse?: (key: string, fingerprint: string) => RenderedFile[] | undefined;
  /** Called with every selected shoot's fingerprint and files, rendered or reused. */
  readonly onShootFiles?: (key: string, fingerprint: string, files: readonly RenderedFile[]) => void;
  /** Called with every shoot's new state (the CLI counts uninstall runs). */
  readonly onState?: (shoot: ShootRef, state: ShootState) => void;
  readonly onShoot?: (done: number, total: number) => void;
  /**
   * Shoots whose last output is kept as it is (`synth --keep-going`): no files of theirs are
   * rendered, but fleet-wide objects (an Argo CD ApplicationSet) still list them. @default - none
   */
  readonly kept?: readonly ShootRef[];
  /**
   * Threads that render shoots: with more than 1, once `inlineRenders` shoots are rendered, the
   * calling thread shares the rest with `threads - 1` worker threads (ShootRenderer); the files
   * are the same, in the same order, and callbacks still run in the calling thread.
   * @default 1 (the calling thread only)
   */
  readonly threads?: number;
  /** With `threads`, how many shoots the calling thread renders before worker threads start. @default INLINE_RENDERS */
  readonly inlineRenders?: number;
  /** Called when the shoots are done (or failed) with how many of them worker threads rendered. */
  readonly onWorkerShoots?: (count: number) => void;
}

/**
 * The rendering stages, one shoot at a time: the shoot's next installed state -> a chart per
 * shoot (installers, and uninstallers for runtimes that left a pool) -> output validation -> YAML
 * files, then the installer version's directory (once, shared by every shoot that has installers)
 * and the GitOps objects. With `reuse`, a shoot whose fingerprint proves its files unchanged
 * yields them as they are instead (incremental synth). A generator, so that a fleet's output
 * never sits in memory at once; it throws an OutputError after the last file when any generated object broke its schema
 * or a safety rule (a bug), so a consumer that commits only at the end commits nothing.
 */
export function* renderRun(prepared: PreparedRun, options: RenderOptions = {}): Generator<RenderedFile> {
  const { gitops } = prepared.options;
  const select = options.select ?? (() => true);
  const violations: string[] = [];
  const rendered: RenderedShoot[] = [];
  const argoSyncWaves = gitops?.config.argocd !== undefined;
  const files = prepared.options.installerFiles;
  const installer = { ...prepared.installer, configMap: 'shared' as const, files };
  const version = installerVersion(files ?? installerFiles());
  const installerDir = installerDirectory(version);
  // What every shoot's rendering depends on besides its own inputs and state.
  const common = options.reuse || options.onShootFiles ? JSON.stringify([toolFingerprint(), version, prepared.installer, argoSyncWaves]) : '';
  let installerUsed = false;
  const settings = { argoSyncWaves, installer };
  const renderer = new ShootRenderer(settings, { threads: options.threads ?? 1, inline: options.inlineRenders ?? INLINE_RENDERS, shoots: prepared.shoots.length });
  // Shoots taken up but not yet yielded, in shoot order: their files are reused, or being rendered.
  const pending: { key: string; fingerprint: string; shoot: ShootRef; state: ShootState; files?: RenderedFile[]; job?: ShootJob; ticket?: Ticket }[] = [];
  const finish = function* (): Generator<RenderedFile> {
    const { key, fingerprint, shoot, state, files, job, ticket } = pending.shift()!;
    if (files) {
      options.onShootFiles?.(key, fingerprint, files);
      yield* files;
      return;
    }
    const rendering = renderer.take(job!, ticket);
    violations.push(...rendering.violations);
    const shootFiles = rendering.files;
    if (state.installed.length > 0 || state.uninstalling.length > 0) shootFiles.push({ path: stateFilePath(shoot), content: stateText(state) });
    options.onShootFiles?.(key, fingerprint, shootFiles);
    yield* shootFiles;
  };
  try {
    for (const [i, { shoot, runtimes, pools }] of prepared.shoots.entries()) {
      options.onShoot?.(i, prepared.shoots.length);
      if (!select(shoot)) {
        // Another shard renders it: whether it uses the installer, as far as its last state says.
        const uses = runtimes.length > 0 || (options.previousState?.(shoot)?.uninstalling.length ?? 0) > 0;
        rendered.push({ shoot, directory: shootDirectory(shoot), installers: runtimes.map((r) => r.runtime.name), namespace: 'kube-system', installer: uses ? installerDir : undefined });
        continue;
      }
      const installed = runtimes.map(({ runtime, definition, runtimeConfig }) =>
        installedRecord(runtime, installerEnvironment(runtime, definition, runtimeConfig)));
      const state = nextShootState(options.previousState?.(shoot), installed, pools, (r) => options.retire?.(shoot, r) ?? false);
      options.onState?.(shoot, state);
      const uninstalls = state.uninstalling.map((target) => ({ target, env: target.env, keepFiles: sharedFiles(target, state.installed) }));
      const uses = runtimes.length > 0 || uninstalls.length > 0;
      rendered.push({
        shoot, directory: shootDirectory(shoot), installers: [...runtimes.map((r) => r.runtime.name), ...uninstalls.map((u) => u.target.name)], namespace: 'kube-system', installer: uses ? installerDir : undefined,
      });
      installerUsed ||= uses;
      const key = `${shoot.projectNamespace}/${shoot.name}`;
      const fingerprint = common && shootFingerprint(common, key, runtimes, pools, state);
      const reused = options.reuse?.(key, fingerprint);
      if (reused) {
        pending.push({ key, fingerprint, shoot, state, files: reused });
      } else {
        const job: ShootJob = { shoot, runtimes, uninstalls };
        pending.push({ key, fingerprint, shoot, state, job, ticket: renderer.submit(job) });
      }
      while (pending.length > renderer.window) yield* finish();
    }
    while (pending.length > 0) yield* finish();
  } finally {
    renderer.close();
    options.onWorkerShoots?.(renderer.byWorkers);
  }
  if (installerUsed) {
    const generated = generateInstaller({ argoSyncWaves, files });
    violations.push(...checkGenerated(generated));
    yield* toRenderedFiles(generated);
  }
  if (gitops) {
    const kept = (options.kept ?? []).filter(select);
    const keptKeys = new Set(kept.map(shootKey));
    const all = [...rendered, ...kept.map((shoot) => ({ shoot, directory: shootDirectory(shoot), installers: [], namespace: 'kube-system' }))]
      .sort((a, b) => compareStrings(shootKey(a.shoot), shootKey(b.shoot)));
    const generated = generateGitops(all, gitops.config, gitops.outputPath, select, options.shard)
      .filter((f) => !keptKeys.has(shootOfPath(f.path) ?? ''));
    violations.push(...checkGenerated(generated));
    yield* toRenderedFiles(generated);
  }
  if (prepared.garden) {
    const { files, chartObjects } = generateGarden(prepared.garden);
    violations.push(...checkGenerated([...files, ...chartObjects]));
    yield* toRenderedFiles(files);
  }
  if (violations.length > 0) throw new OutputError(violations);
}

/**
 * The whole pipeline in memory: prepareRun, then every file of renderRun. Pure: it writes
 * nothing. For libraries and tests; the CLI streams renderRun into the writer.
 */
export function runPipeline(options: PipelineOptions): PipelineResult {
  const prepared = prepareRun(options);
  return { files: [...renderRun(prepared)], summary: prepared.summary };
}

/**
 * Everything a shoot's files are rendered from: what all shoots share (tool, installer version and
 * image, sync waves), the shoot's resolved runtimes (catalog entry with the registry policy
 * applied, runtime config file), its pools, and its next installed state. Where an input was read
 * (origins) is left out: moving a Shoot within its file changes nothing.
 */
function shootFingerprint(common: string, key: string, runtimes: readonly ResolvedContainerRuntime[], pools: ReadonlySet<string> | undefined, state: ShootState): string {
  // A catalog entry is one object for every runtime of its type: its text is made once.
  const resolved = runtimes.map(({ runtime, definition, runtimeConfig }) => [{ ...runtime, origin: undefined }, definitionText(definition), runtimeConfig]);
  const text = JSON.stringify([common, key, resolved, pools && [...pools].sort(), state]);
  return createHash('sha256').update(text).digest('hex');
}

const definitionTexts = new WeakMap<RuntimeDefinition, string>();

function definitionText(definition: RuntimeDefinition): string {
  let text = definitionTexts.get(definition);
  if (text === undefined) definitionTexts.set(definition, text = JSON.stringify(definition, (k, v) => (k === 'origin' ? undefined : v)));
  return text;
}

function shootOf(key: string): ShootRef {
  const [projectNamespace, name] = key.split('/');
  return { projectNamespace, name };
}
