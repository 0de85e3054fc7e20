import { ContainerRuntimeSpec } from '../../imports/extensions.gardener.cloud';
import { DiagnosticCollector } from '../diagnostics';
import { ContainerRuntime, Origin } from '../model/container-runtime';
import { asStringMap, field, fieldAt, isObject } from './fields';

export const CONTAINER_RUNTIME_API_VERSION = 'extensions.gardener.cloud/v1alpha1';

/** `shoot--<project>--<shoot>`: the seed namespace gardenlet writes a shoot's extension objects to. */
const SEED_NAMESPACE = /^(?=.{1,63}$)shoot--([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)--([a-z0-9](?:[a-z0-9-]*[a-z0-9])?)$/;

/**
 * A ContainerRuntime object as gardenlet writes it into a seed, taken as it is: its selector and
 * binaryPath. It belongs to shoot `<shoot>` of project namespace `garden-<project>`. Pool taints
 * and architecture are not part of the object, so they stay unknown.
 */
export function containerRuntimeOfObject(object: unknown, origin: Origin, problems: DiagnosticCollector): ContainerRuntime[] {
  const name = fieldAt(object, 'metadata', 'name');
  const namespace = fieldAt(object, 'metadata', 'namespace');
  const subject = `ContainerRuntime ${namespace ?? '?'}/${name ?? '?'}`;
  const seedNamespace = typeof namespace === 'string' ? SEED_NAMESPACE.exec(namespace) : null;
  // Problems of an object in a shoot's namespace belong to that shoot (synth --keep-going keeps its output).
  const owner = seedNamespace ? `${seedNamespace[1] === 'garden' ? 'garden' : `garden-${seedNamespace[1]}`}/${seedNamespace[2]}` : undefined;
  const report = (path: string, message: string) => problems.add({ origin, subject, path, message, ...(owner ? { shoot: owner } : {}) });

  if (!seedNamespace) {
    return report('metadata.namespace', 'must be a shoot namespace of the seed, shoot--<project>--<shoot>'), [];
  }
  const rawSpec = field(object, 'spec');
  if (!isObject(rawSpec)) return report('spec', 'is required'), [];
  const spec = rawSpec as Partial<ContainerRuntimeSpec>;
  const { type, binaryPath } = spec;
  const pool = spec.workerPool?.name;
  if (typeof type !== 'string' || type === '') return report('spec.type', 'is required'), [];
  if (typeof binaryPath !== 'string' || binaryPath === '') return report('spec.binaryPath', 'is required'), [];
  if (typeof pool !== 'string' || pool === '') return report('spec.workerPool.name', 'is required'), [];
  const selector = spec.workerPool?.selector;
  if (selector?.matchExpressions?.length) {
    return report('spec.workerPool.selector.matchExpressions', 'is not supported: RuntimeClasses select nodes by labels only'), [];
  }
  const nodeSelector = asStringMap(selector?.matchLabels);
  if (!nodeSelector || Object.keys(nodeSelector).length === 0) {
    return report('spec.workerPool.selector.matchLabels', 'is required: the labels of the pool\'s nodes'), [];
  }
  const [, project, shootName] = seedNamespace;
  return [{
    name: typeof name === 'string' && name !== '' ? name : `${type}-${pool}`,
    type,
    shoot: { projectNamespace: project === 'garden' ? 'garden' : `garden-${project}`, name: shootName },
    pool,
    binaryPath,
    nodeSelector,
    providerConfig: spec.providerConfig,
    origin: {
      ...origin,
      subject,
      fields: {
        name: 'metadata.name', type: 'spec.type', pool: 'spec.workerPool.name', binaryPath: 'spec.binaryPath',
        nodeSelector: 'spec.workerPool.selector.matchLabels', providerConfig: 'spec.providerConfig',
      },
    },
  }];
}
