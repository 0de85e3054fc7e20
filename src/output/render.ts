import { App } from 'cdk8s';
import * as yaml from 'js-yaml';
import { ResolvedContainerRuntime, ShootRuntimesChart } from '../constructs/shoot-runtimes-chart';
import { ShootRef, compareStrings } from '../model/container-runtime';

/** A file of the output tree: a path relative to the output directory and its full text. */
export interface RenderedFile {
  readonly path: string;
  readonly content: string;
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
  /** @default DEFAULT_INSTALLER_IMAGE */
  readonly installerImage?: string;
  /** @default false */
  readonly argoSyncWaves?: boolean;
}

/**
 * Renders one shoot: its chart synthesized in an App of its own (one App for many charts is
 * quadratic), each object in a file `<kind>-<name>.yaml`, and a kustomization.yaml listing them.
 */
export function renderShoot(
  shoot: ShootRef, runtimes: readonly ResolvedContainerRuntime[], options: RenderShootOptions = {},
): RenderedFile[] {
  const app = new App({ outdir: '/nonexistent' });
  const chart = new ShootRuntimesChart(app, 'shoot', { shoot, runtimes, ...options });
  const dir = shootDirectory(shoot);
  const files = chart.toJson().map((object: { kind: string; metadata: { name: string } }) => ({
    path: `${dir}/${object.kind.toLowerCase()}-${object.metadata.name}.yaml`,
    content: toYaml(object),
  }));
  files.sort((a, b) => compareStrings(a.path, b.path));
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: files.map((f) => f.path.slice(dir.length + 1)),
  };
  return [...files, { path: `${dir}/kustomization.yaml`, content: toYaml(kustomization) }];
}
