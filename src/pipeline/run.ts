import { Catalog } from '../catalog';
import { renderRuntimeConfig } from '../catalog/runtime-config';
import { RuntimeDefinition } from '../catalog/types';
import { ResolvedContainerRuntime } from '../constructs/shoot-runtimes-chart';
import { DiagnosticCollector } from '../diagnostics';
import { ShootRef } from '../model/container-runtime';
import { GitopsConfig, RenderedShoot, generateGitops } from '../gitops';
import { GeneratedFile, RenderedFile, generateShoot, shootDirectory, toRenderedFiles } from '../output/render';
import { OutputError, checkGenerated } from '../validate/output';
import { readContainerRuntimes } from '../sources';
import { checkContainerRuntime, checkGeneratedNames } from '../validate/input';

/** What one run of the pipeline works on. */
export interface PipelineOptions {
  /** Files or directories of Gardener manifests. */
  readonly inputs: readonly string[];
  /** Catalog overrides and additions (the pipeline file's `spec.runtimes`). @default - none */
  readonly runtimes?: readonly RuntimeDefinition[];
  /** Flux and Argo CD objects, and where the output lies in the Git repository. @default - none */
  readonly gitops?: { readonly config: GitopsConfig; readonly outputPath: string };
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

/**
 * The pipeline, all stages in order: read sources -> ContainerRuntime model -> check and resolve
 * against the catalog -> one chart per shoot -> output validation -> YAML files. Pure: it writes
 * nothing; it throws an InputError carrying every problem of the inputs, or an OutputError when a
 * generated object breaks its schema or a safety rule (a bug).
 */
export function runPipeline(options: PipelineOptions): PipelineResult {
  const problems = new DiagnosticCollector();
  const catalog = Catalog.withOverrides(options.runtimes);
  const model = readContainerRuntimes(options.inputs, problems);

  const byShoot = new Map<string, ResolvedContainerRuntime[]>(model.shoots.map((key) => [key, []]));
  const pools = new Set<string>();
  for (const runtime of model.runtimes) {
    const definition = checkContainerRuntime(runtime, catalog, problems);
    if (!definition) continue;
    const runtimeConfig = renderRuntimeConfig(runtime, definition, problems);
    const key = `${runtime.shoot.projectNamespace}/${runtime.shoot.name}`;
    byShoot.get(key)!.push({ runtime, definition, runtimeConfig });
    pools.add(`${key}/${runtime.pool}`);
  }
  for (const runtimes of byShoot.values()) checkGeneratedNames(runtimes, problems);
  problems.throwIfAny();

  const files: RenderedFile[] = [];
  const rendered: RenderedShoot[] = [];
  const violations: string[] = [];
  const emit = (generated: GeneratedFile[]) => {
    violations.push(...checkGenerated(generated));
    files.push(...toRenderedFiles(generated));
  };
  const argoSyncWaves = options.gitops?.config.argocd !== undefined;
  for (const [key, runtimes] of byShoot) {
    const shoot = shootOf(key);
    emit(generateShoot(shoot, runtimes, { argoSyncWaves }));
    rendered.push({ shoot, directory: shootDirectory(shoot), installers: runtimes.map((r) => r.runtime.name), namespace: 'kube-system' });
  }
  if (options.gitops) emit(generateGitops(rendered, options.gitops.config, options.gitops.outputPath));
  if (violations.length > 0) throw new OutputError(violations);
  return {
    files,
    summary: { shoots: byShoot.size, pools: pools.size, runtimes: model.runtimes.length, skippedDocuments: model.skipped },
  };
}

function shootOf(key: string): ShootRef {
  const [projectNamespace, name] = key.split('/');
  return { projectNamespace, name };
}
