import * as fs from 'fs';
import * as path from 'path';
import { RuntimeDefinition } from '../catalog/types';
import { DiagnosticCollector } from '../diagnostics';
import { parseDocuments, readUtf8 } from '../sources/documents';
import { field, fieldAt } from '../sources/fields';
import { GitopsConfig, gitopsConfig } from '../gitops/config';
import { GardenerExtensionOptions } from '../gardener/extension';
import { Assignment } from '../sources/shoot';
import { assignments } from './assignments';
import { schemaProblems } from './schema';
import { gitopsConfigProblems } from '../validate/gitops';
import { RegistryOptions, registryOptions } from './registry';
import { parseRuntimeOverrides } from './runtime-overrides';

export const PIPELINE_API_VERSION = 'shoot-runtimes.dev/v1alpha1';

/** The declarative pipeline file, with every path resolved against the file's directory. */
export interface PipelineFile {
  readonly file: string;
  readonly name: string;
  readonly sources: readonly string[];
  /** @default - none: the command line must give --out */
  readonly outputDir?: string;
  /** `spec.output.allowRemoval`: let a synth remove every shoot, or more than 10% of them. @default false */
  readonly allowRemoval?: boolean;
  readonly runtimes: readonly RuntimeDefinition[];
  /** `spec.uninstall.retireAfterRuns`: retire a pending uninstall after this many synth runs. @default - only `retire` does */
  readonly retireAfterRuns?: number;
  /** `spec.assignments`: runtimes the pipeline declares for pools of matching shoots. */
  readonly assignments: readonly Assignment[];
  /** `spec.registry`: image mirror, pull secret, digest policy, installer image. @default - none */
  readonly registry?: RegistryOptions;
  /** `spec.gitops`: Flux and Argo CD objects. @default - none */
  readonly gitops?: GitopsConfig;
  /** `spec.gardener.extension`: the garden's ControllerRegistration and ControllerDeployment. @default - none */
  readonly gardenerExtension?: GardenerExtensionOptions;
}

/** Loads and checks a pipeline file; throws an InputError naming every problem. */
export function loadPipelineFile(file: string): PipelineFile {
  const problems = new DiagnosticCollector();
  if (!fs.existsSync(file)) {
    problems.add({ origin: { file, line: 0 }, message: 'the pipeline file does not exist' });
  }
  problems.throwIfAny();
  const text = readUtf8(file, problems);
  const documents = text === undefined ? [] : parseDocuments(file, text, problems);
  problems.throwIfAny();
  const origin = documents[0]?.origin ?? { file, line: 1 };
  const doc = documents[0]?.content;
  const name = fieldAt(doc, 'metadata', 'name');
  const report = (p: string, message: string) => problems.add({ origin, subject: `Pipeline ${typeof name === 'string' ? name : '?'}`, path: p, message });
  if (documents.length !== 1) report('', 'the pipeline file must hold exactly one document');
  if (field(doc, 'apiVersion') !== PIPELINE_API_VERSION || field(doc, 'kind') !== 'Pipeline') {
    report('', `must be apiVersion ${PIPELINE_API_VERSION}, kind Pipeline`);
  }
  if (typeof name !== 'string' || name === '') report('metadata.name', 'is required');
  // The JSON Schema (docs/pipeline.schema.json, also used by editors) checks the shape first;
  // the checks below only see a document of the right shape.
  if (problems.count === 0) for (const p of schemaProblems(doc)) report(p.path, p.message);
  problems.throwIfAny();

  const baseDir = path.dirname(file);
  const resolve = (p: string) => (path.isAbsolute(p) ? p : path.join(baseDir, p));
  const sources = fieldAt(doc, 'spec', 'sources') as string[];
  const outputDir = fieldAt(doc, 'spec', 'output', 'dir');
  const allowRemoval = fieldAt(doc, 'spec', 'output', 'allowRemoval');
  const runtimes = parseRuntimeOverrides(fieldAt(doc, 'spec', 'runtimes'), report);
  const parsedGitops = gitopsConfig(fieldAt(doc, 'spec', 'gitops'));
  const gitops = parsedGitops && { ...parsedGitops, source: { origin, subject: `Pipeline ${name as string}` } };
  if (gitops) gitopsConfigProblems(gitops).forEach((p) => report(p.path, p.message));
  const registry = registryOptions(fieldAt(doc, 'spec', 'registry'), { origin, subject: `Pipeline ${name as string}` });
  const assigned = assignments(fieldAt(doc, 'spec', 'assignments'), origin, `Pipeline ${name as string}`);
  const retireAfterRuns = fieldAt(doc, 'spec', 'uninstall', 'retireAfterRuns');
  const extension = fieldAt(doc, 'spec', 'gardener', 'extension') as { name?: string; types?: string[] } | undefined;
  problems.throwIfAny();
  return {
    file,
    name: name as string,
    sources: sources.map(resolve),
    outputDir: typeof outputDir === 'string' ? resolve(outputDir) : undefined,
    runtimes,
    gitops,
    registry,
    assignments: assigned,
    ...(typeof retireAfterRuns === 'number' ? { retireAfterRuns } : {}),
    ...(typeof allowRemoval === 'boolean' ? { allowRemoval } : {}),
    ...(extension !== undefined && extension !== null ? {
      gardenerExtension: { ...extension, source: { origin, subject: `Pipeline ${name as string}` } },
    } : {}),
  };
}
