import { GeneratedFile } from '../output/render';

/** A generated object broke a schema or a safety rule: a bug in shoot-runtimes, never the user's input. */
export class OutputError extends Error {
  constructor(public readonly violations: readonly string[]) {
    super(violations.join('\n'));
    this.name = 'OutputError';
  }
}

type Model = new (object: unknown) => { validate(): void };

/** Offline JSON-schema models (kubernetes-models 4.x for Kubernetes 1.33, Flux and Argo CD), loaded on first use. */
const MODELS: Readonly<Record<string, () => Model>> = {
  'apps/v1/DaemonSet': () => require('kubernetes-models/apps/v1/DaemonSet').DaemonSet,
  'node.k8s.io/v1/RuntimeClass': () => require('kubernetes-models/node.k8s.io/v1/RuntimeClass').RuntimeClass,
  'v1/ConfigMap': () => require('kubernetes-models/v1/ConfigMap').ConfigMap,
  'v1/ServiceAccount': () => require('kubernetes-models/v1/ServiceAccount').ServiceAccount,
  'kustomize.toolkit.fluxcd.io/v1/Kustomization': () => require('@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization').Kustomization,
  'argoproj.io/v1alpha1/Application': () => require('@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application').Application,
  'argoproj.io/v1alpha1/ApplicationSet': () => require('@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet').ApplicationSet,
  'apps/v1/Deployment': () => require('kubernetes-models/apps/v1/Deployment').Deployment,
  'rbac.authorization.k8s.io/v1/ClusterRole': () => require('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRole').ClusterRole,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': () => require('kubernetes-models/rbac.authorization.k8s.io/v1/ClusterRoleBinding').ClusterRoleBinding,
  'core.gardener.cloud/v1beta1/ControllerRegistration': () => require('./gardener').ControllerRegistration,
  'core.gardener.cloud/v1/ControllerDeployment': () => require('./gardener').ControllerDeployment,
};
const loaded = new Map<string, Model>();

/** kustomize's own file: no schema in kubernetes-models, checked by shape. */
const KUSTOMIZATION = 'kustomize.config.k8s.io/v1beta1/Kustomization';

/** The init containers that alone may run privileged: they are the only things that write to the host. */
export const PRIVILEGED_CONTAINERS: readonly string[] = ['install', 'uninstall'];

/**
 * Every rule a generated object must satisfy: its schema, and our safety rules. Returns one
 * message per violation (empty when all is well).
 */
export function checkGenerated(files: readonly GeneratedFile[]): string[] {
  const violations: string[] = [];
  for (const { path, object } of files) {
    const key = `${object.apiVersion}/${object.kind}`;
    const report = (message: string) => violations.push(`${path}: ${object.kind}: ${message}`);
    if (key === KUSTOMIZATION) {
      if (!Array.isArray(object.resources)) report('resources must be a list');
      continue;
    }
    const model = MODELS[key];
    if (!model) {
      report(`no schema known for ${key}`);
      continue;
    }
    if (!loaded.has(key)) loaded.set(key, model());
    try {
      new (loaded.get(key)!)(object).validate();
    } catch (error) {
      report(`schema: ${(error as Error).message}`);
    }
    safetyViolations(object).forEach(report);
  }
  return violations;
}

interface Container {
  name: string;
  image?: string;
  securityContext?: { privileged?: boolean; allowPrivilegeEscalation?: boolean };
}

/** Our rules for what runs on every node of a fleet. */
function safetyViolations(object: GeneratedFile['object']): string[] {
  const out: string[] = [];
  if (object.kind === 'Deployment') return deploymentViolations(object);
  // The acknowledger's ServiceAccount (in a seed) is the one whose token is used.
  if (object.kind === 'ServiceAccount' && object.automountServiceAccountToken !== false && !isAcknowledger(object)) {
    out.push('must not mount a service account token (automountServiceAccountToken: false)');
  }
  if (object.kind !== 'DaemonSet') return out;
  const pod = (object as any).spec?.template?.spec ?? {};
  if (pod.automountServiceAccountToken !== false) out.push('pods must not mount a service account token');
  for (const volume of pod.volumes ?? []) {
    const hostPath: string | undefined = volume.hostPath?.path;
    if (hostPath !== undefined && (hostPath === '/' || hostPath.replace(/\/+$/, '') === '')) {
      out.push(`volume ${volume.name} mounts the host's root directory`);
    }
  }
  const containers: Container[] = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  if (containers.some((c) => c.securityContext?.privileged && !(pod.initContainers ?? []).includes(c))) {
    out.push('only init containers may be privileged');
  }
  for (const c of containers) {
    if (!isPinned(c.image ?? '')) out.push(`container ${c.name}: image "${c.image}" must be pinned to a tag or digest (not latest)`);
    const privileged = c.securityContext?.privileged === true;
    if (privileged && !PRIVILEGED_CONTAINERS.includes(c.name)) out.push(`container ${c.name} must not be privileged`);
    if (privileged && c.securityContext?.allowPrivilegeEscalation !== true) {
      out.push(`container ${c.name} is privileged and must set allowPrivilegeEscalation: true`);
    }
    if (!privileged && c.securityContext?.allowPrivilegeEscalation !== false) {
      out.push(`container ${c.name} must set allowPrivilegeEscalation: false`);
    }
  }
  return out;
}

function isAcknowledger(object: GeneratedFile['object']): boolean {
  return (object as any).metadata?.labels?.['app.kubernetes.io/name'] === 'shoot-runtimes-acknowledger';
}

/** The acknowledger's Deployment: nothing privileged, images pinned by digest. */
function deploymentViolations(object: GeneratedFile['object']): string[] {
  const out: string[] = [];
  const pod = (object as any).spec?.template?.spec ?? {};
  for (const c of [...(pod.initContainers ?? []), ...(pod.containers ?? [])] as Container[]) {
    if (!/@sha256:[0-9a-f]{64}$/.test(c.image ?? '')) out.push(`container ${c.name}: image "${c.image}" must be pinned by a digest`);
    if (c.securityContext?.privileged || c.securityContext?.allowPrivilegeEscalation !== false) {
      out.push(`container ${c.name} must not be privileged and must set allowPrivilegeEscalation: false`);
    }
  }
  return out;
}

/** `name:tag` or `name@sha256:...`, and the tag is not `latest`. */
export function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const lastSegment = image.slice(image.lastIndexOf('/') + 1);
  const colon = lastSegment.lastIndexOf(':');
  return colon > 0 && lastSegment.slice(colon + 1) !== '' && lastSegment.slice(colon + 1) !== 'latest';
}
