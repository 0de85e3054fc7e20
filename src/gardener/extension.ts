import { Catalog } from '../catalog';
import { DiagnosticCollector } from '../diagnostics';
import { ContainerRuntime, Origin, compareStrings } from '../model/container-runtime';
import { GeneratedFile } from '../output/render';
import { packageRoot } from '../pipeline/schema';
import { acknowledgerBundle } from './bundle';
import { AcknowledgerChartProps, acknowledgerChartArchive, acknowledgerObjects } from './chart';

/** Where the garden's objects go in the output tree. */
export const GARDEN_DIRECTORY = 'garden';

/** `spec.gardener.extension`: register the runtimes with Gardener and deploy the acknowledger. */
export interface GardenerExtensionOptions {
  /** The ControllerRegistration and ControllerDeployment name. @default 'shoot-runtimes' */
  readonly name?: string;
  /** Runtime types to register. @default - every type the fleet's Shoots declare */
  readonly types?: readonly string[];
  /** Where it is written, for messages. @default - not from a pipeline file */
  readonly source?: { readonly origin: Origin; readonly subject: string };
}

export interface GardenExtension {
  readonly name: string;
  readonly types: readonly string[];
  /** The acknowledger's image (pinned, mirrored). */
  readonly image: string;
}

/**
 * The registration's name and types: the types given, each known to the catalog, or every type
 * the fleet's Shoots (and seed objects) declare, as they spell it. Assigned runtimes are not
 * registered: the landscape does not know them. Problems go to `problems`.
 */
export function resolveGardenExtension(
  options: GardenerExtensionOptions, runtimes: readonly ContainerRuntime[], catalog: Catalog, image: string, problems: DiagnosticCollector,
): GardenExtension | undefined {
  const report = (path: string, message: string) => problems.add({
    origin: options.source?.origin ?? { file: 'spec.gardener.extension', line: 0 }, subject: options.source?.subject, path, message,
  });
  const declared = [...new Set(runtimes.filter((r) => !r.assigned).map((r) => r.type))];
  const types = [...(options.types ?? declared)].sort(compareStrings);
  for (const [i, type] of (options.types ?? []).entries()) {
    if (!catalog.find(type)) report(`spec.gardener.extension.types[${i}]`, `unknown runtime type "${type}"; known: ${catalog.knownNames.join(', ')}`);
  }
  if (types.length === 0) {
    report('spec.gardener.extension.types', 'no runtime type to register: no Shoot declares one; name them here');
    return undefined;
  }
  return { name: options.name ?? 'shoot-runtimes', types, image };
}

/**
 * The garden's files: a ControllerRegistration listing `ContainerRuntime` for the types, a
 * Helm-type ControllerDeployment whose chart deploys the acknowledger into each seed that needs
 * it (gardenlet reports ControllerInstallations healthy only for Helm deployments), and a
 * kustomization. Also returns the chart's own objects, to be schema-checked with the rest.
 */
export function generateGarden(extension: GardenExtension): { files: GeneratedFile[]; chartObjects: GeneratedFile[] } {
  const props: AcknowledgerChartProps = {
    types: extension.types,
    image: extension.image,
    script: acknowledgerBundle(),
    version: packageVersion(),
  };
  const labels = { 'app.kubernetes.io/managed-by': 'shoot-runtimes' };
  const files: GeneratedFile[] = [
    {
      path: `${GARDEN_DIRECTORY}/controllerdeployment-${extension.name}.yaml`,
      object: {
        apiVersion: 'core.gardener.cloud/v1',
        kind: 'ControllerDeployment',
        metadata: { name: extension.name, labels },
        helm: { rawChart: acknowledgerChartArchive(props).toString('base64') },
      },
    },
    {
      path: `${GARDEN_DIRECTORY}/controllerregistration-${extension.name}.yaml`,
      object: {
        apiVersion: 'core.gardener.cloud/v1beta1',
        kind: 'ControllerRegistration',
        metadata: { name: extension.name, labels },
        spec: {
          resources: extension.types.map((type) => ({ kind: 'ContainerRuntime', type, primary: true })),
          // Installed on a seed only while a shoot there needs one of the types.
          deployment: { policy: 'OnDemand', deploymentRefs: [{ name: extension.name }] },
        },
      },
    },
  ];
  const kustomization = {
    path: `${GARDEN_DIRECTORY}/kustomization.yaml`,
    object: { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: files.map((f) => f.path.slice(GARDEN_DIRECTORY.length + 1)) },
  };
  return { files: [...files, kustomization], chartObjects: acknowledgerObjects(props).map((f) => ({ ...f, path: `${files[0].path}#${f.path}` })) };
}

function packageVersion(): string {
  return (require(`${packageRoot()}/package.json`) as { version: string }).version;
}
