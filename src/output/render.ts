import * as path from 'path';
import { ApiObject, App, Chart } from 'cdk8s';
import * as yaml from 'js-yaml';
import { InstallerConfigMap } from '../constructs/installer-support';
import { ResolvedContainerRuntime, SYNC_WAVE_ANNOTATION, ShootRuntimesChart, ShootRuntimesChartProps } from '../constructs/shoot-runtimes-chart';
import { ShootRef, compareStrings } from '../model/container-runtime';

/** A file of the output tree: a path relative to the output directory and its full text. */
export interface RenderedFile {
  readonly path: string;
  readonly content: string;
  /**
   * Set when this path of the output directory was proven, in this run, to hold bytes with this
   * sha256 (a shoot's file that incremental synth proved unchanged): the writer leaves it as it
   * is, and `content` is read from the disk only when asked for.
   * @default - rendered
   */
  readonly onDisk?: { readonly sha256: string };
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

/**
 * The directory of one installer version inside the output tree: shared by every shoot whose
 * installers run that version, each of which lists it in its kustomization by relative path.
 */
export function installerDirectory(version: string): string {
  return `installer/${version}`;
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
 * each object bound for a file `<kind>-<name>.yaml`, and a kustomization.yaml listing them and,
 * when the installers' ConfigMap is shared (`installer.configMap: 'shared'`), the installer
 * version's directory (installerDirectory), so `kustomize build` of the shoot's directory still
 * yields everything the shoot needs.
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
  const resources = files.map((f) => f.path.slice(dir.length + 1));
  if (chart.support && options.installer?.configMap === 'shared') {
    resources.push(path.posix.relative(dir, installerDirectory(chart.support.version)));
  }
  return [...files, kustomization(dir, resources)];
}

function kustomization(dir: string, resources: string[]): GeneratedFile {
  return { path: `${dir}/kustomization.yaml`, object: { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources } };
}

/**
 * The directory of one installer version: the ConfigMap with the installer's files (named by
 * their version) and a kustomization listing it.
 */
export function generateInstaller(options: { readonly argoSyncWaves?: boolean; readonly files?: Readonly<Record<string, string>> } = {}): GeneratedFile[] {
  const app = new App({ outdir: '/nonexistent' });
  const chart = new Chart(app, 'installer', { disableResourceNameHashes: true });
  const configMap = new InstallerConfigMap(chart, 'ConfigMap', { files: options.files });
  if (options.argoSyncWaves) ApiObject.of(configMap).metadata.addAnnotation(SYNC_WAVE_ANNOTATION, '0');
  const dir = installerDirectory(configMap.version);
  const file = `configmap-${configMap.name}.yaml`;
  return [{ path: `${dir}/${file}`, object: chart.toJson()[0] }, kustomization(dir, [file])];
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
