import { App } from 'cdk8s';
import * as yaml from 'js-yaml';
import { ResolvedContainerRuntime, ShootRuntimesChart, ShootRuntimesChartProps } from '../constructs/shoot-runtimes-chart';
import { ShootRef, compareStrings } from '../model/container-runtime';

/** A file of the output tree: a path relative to the output directory and its full text. */
export interface RenderedFile {
  readonly path: string;
  readonly content: string;
}

/** A generated object and the file it goes to (one object per file). */
export interface GeneratedFile {
  readonly path: string;
  readonly object: { readonly apiVersion: string; readonly kind: string; readonly [key: string]: unknown };
}

/** The directory of a shoot's files inside the output tree. */
export function shootDirectory(shoot: ShootRef): string {
  return `shoots/${shoot.projectNamespace}/${shoot.name}`;
}

/** YAML the same way everywhere: keys sorted at every level, no line folding, no anchors. */
export function toYaml(value: unknown): string {
  return yaml.dump(value, { sortKeys: true, lineWidth: -1, noRefs: true });
}

export interface RenderShootOptions {
  /** The installers' image and pull secret. @default - InstallerSupport's defaults */
  readonly installer?: ShootRuntimesChartProps['installer'];
  /** @default false */
  readonly argoSyncWaves?: boolean;
  /** Runtimes to uninstall from pools of this shoot. @default - none */
  readonly uninstalls?: ShootRuntimesChartProps['uninstalls'];
}

/**
 * Synthesizes one shoot: its chart in an App of its own (one App for many charts is quadratic),
 * each object bound for a file `<kind>-<name>.yaml`, and a kustomization.yaml listing them.
 */
export function generateShoot(
  shoot: ShootRef, runtimes: readonly ResolvedContainerRuntime[], options: RenderShootOptions = {},
): GeneratedFile[] {
  const app = new App({ outdir: '/nonexistent' });
  const chart = new ShootRuntimesChart(app, 'shoot', { shoot, runtimes, ...options });
  const dir = shootDirectory(shoot);
  const files: GeneratedFile[] = chart.toJson().map((object: GeneratedFile['object'] & { metadata: { name: string } }) => ({
    path: `${dir}/${object.kind.toLowerCase()}-${object.metadata.name}.yaml`,
    object,
  }));
  files.sort((a, b) => compareStrings(a.path, b.path));
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: files.map((f) => f.path.slice(dir.length + 1)),
  };
  return [...files, { path: `${dir}/kustomization.yaml`, object: kustomization }];
}

/** The YAML text of generated files. */
export function toRenderedFiles(files: readonly GeneratedFile[]): RenderedFile[] {
  return files.map((f) => ({ path: f.path, content: toYaml(f.object) }));
}

/** One shoot's files as text: generateShoot, then YAML. */
export function renderShoot(
  shoot: ShootRef, runtimes: readonly ResolvedContainerRuntime[], options: RenderShootOptions = {},
): RenderedFile[] {
  return toRenderedFiles(generateShoot(shoot, runtimes, options));
}
