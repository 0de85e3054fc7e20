import { GeneratedFile } from '../output/render';
import { crdModel } from './crd-schema';
import { CONTAINERD_CONFIG_DIR, INSTALLER_LOCK_DIR, hostDirectoryProblem } from './host-paths';
import { pinnedImageProblem } from './image';
import { installerEnvironmentProblems } from './installer-environment';
import {
  ENV_NAME, dnsLabelProblem, dnsSubdomainProblem, labelValueProblem, labelsProblems, qualifiedNameProblem, shownValue,
} from './names';

/** A generated object broke a schema or a safety rule: a bug in shoot-runtimes, never the user's input. */
export class OutputError extends Error {
  constructor(public readonly violations: readonly string[]) {
    super(violations.join('\n'));
    this.name = 'OutputError';
  }
}

type Model = new (object: unknown) => { validate(): void };

/** Offline JSON-schema models (kubernetes-models 4.x for Kubernetes 1.33, Argo CD; Flux's CRDs), loaded on first use. */
const MODELS: Readonly<Record<string, () => Model>> = {
  'apps/v1/DaemonSet': () => require('kubernetes-models/apps/v1/DaemonSet').DaemonSet,
  'node.k8s.io/v1/RuntimeClass': () => require('kubernetes-models/node.k8s.io/v1/RuntimeClass').RuntimeClass,
  'v1/ConfigMap': () => require('kubernetes-models/v1/ConfigMap').ConfigMap,
  'v1/ServiceAccount': () => require('kubernetes-models/v1/ServiceAccount').ServiceAccount,
  // Flux 2.7's CRDs (crds/): kubernetes-models knows neither ArtifactGenerators nor ExternalArtifact sources.
  'kustomize.toolkit.fluxcd.io/v1/Kustomization': () => crdModel('kustomization.yaml', 'v1'),
  'source.extensions.fluxcd.io/v1beta1/ArtifactGenerator': () => crdModel('artifactgenerator.yaml', 'v1beta1'),
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
 * Every rule a generated object must satisfy: its schema, the Kubernetes formats of its names,
 * labels, taints and images, and our safety rules. Returns one message per violation, naming the
 * file, the object and the field (empty when all is well).
 */
export function checkGenerated(files: readonly GeneratedFile[]): string[] {
  const violations: string[] = [];
  for (const { path, object } of files) {
    const key = `${object.apiVersion}/${object.kind}`;
    const metadata = (object as { metadata?: { name?: unknown; namespace?: unknown } }).metadata;
    const name = typeof metadata?.name === 'string' ? ` ${shownValue(typeof metadata.namespace === 'string' ? `${metadata.namespace}/${metadata.name}` : metadata.name)}` : '';
    const report = (message: string) => violations.push(`${path}: ${object.kind}${name}: ${message}`);
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
    formatViolations(object).forEach(report);
    safetyViolations(object).forEach(report);
  }
  return violations;
}

type Check = (value: unknown) => string | undefined;
const optional = (check: Check): Check => (value) => (value === undefined ? undefined : check(value));

/** The kinds we generate that live in a namespace (RuntimeClass is cluster-scoped). */
const NAMESPACED_KINDS = new Set(['DaemonSet', 'Deployment', 'ConfigMap', 'ServiceAccount', 'Kustomization', 'Application', 'ApplicationSet', 'ArtifactGenerator']);

/** RBAC objects take any path segment as a name (`shoot-runtimes:acknowledger`), not only DNS subdomains. */
const RBAC_KINDS = new Set(['Role', 'ClusterRole', 'RoleBinding', 'ClusterRoleBinding']);
const pathSegmentProblem: Check = (v) => (typeof v === 'string' && v !== '' && v !== '.' && v !== '..' && !/[/%]/.test(v) && v.length <= 253
  ? undefined : `${JSON.stringify(v)} must be a name without '/' or '%', not '.' or '..'`);

/** The acknowledger chart's templates live in the namespace Helm installs them into (src/gardener/chart.ts). */
const HELM_RELEASE_NAMESPACE = '{{ .Release.Namespace }}';
const namespaceProblem: Check = (v) => (v === HELM_RELEASE_NAMESPACE ? undefined : dnsLabelProblem(v));

/** Kubernetes formats of the fields we fill from input: names, namespaces, labels, taints, images, references. */
function formatViolations(object: GeneratedFile['object']): string[] {
  const out: string[] = [];
  const check = (field: string, value: unknown, rule: Check) => {
    const problem = rule(value);
    if (problem) out.push(`${field}: ${problem}`);
  };
  const labels = (field: string, value: unknown) => labelsProblems(value).forEach((m) => out.push(`${field}: ${m}`));
  const keys = (field: string, value: unknown) => Object.keys(value ?? {}).forEach((k) => check(`${field}`, k, qualifiedNameProblem));
  const o = object as any;
  check('metadata.name', o.metadata?.name, RBAC_KINDS.has(object.kind) ? pathSegmentProblem : dnsSubdomainProblem);
  if (NAMESPACED_KINDS.has(object.kind)) check('metadata.namespace', o.metadata?.namespace, namespaceProblem);
  else check('metadata.namespace', o.metadata?.namespace, (v) => (v === undefined ? undefined : 'must not be set: the object is cluster-scoped'));
  labels('metadata.labels', o.metadata?.labels);
  keys('metadata.annotations', o.metadata?.annotations);
  const tolerations = (field: string, list: unknown) => (Array.isArray(list) ? list : []).forEach((t: any, i: number) => {
    check(`${field}[${i}].key`, t?.key, optional(qualifiedNameProblem));
    check(`${field}[${i}].value`, t?.value, optional(labelValueProblem));
  });
  switch (object.kind) {
    case 'RuntimeClass':
      check('handler', o.handler, dnsLabelProblem);
      labels('scheduling.nodeSelector', o.scheduling?.nodeSelector);
      tolerations('scheduling.tolerations', o.scheduling?.tolerations);
      break;
    case 'DaemonSet': {
      labels('spec.selector.matchLabels', o.spec?.selector?.matchLabels);
      labels('spec.template.metadata.labels', o.spec?.template?.metadata?.labels);
      keys('spec.template.metadata.annotations', o.spec?.template?.metadata?.annotations);
      const pod = o.spec?.template?.spec ?? {};
      const at = 'spec.template.spec';
      labels(`${at}.nodeSelector`, pod.nodeSelector);
      tolerations(`${at}.tolerations`, pod.tolerations);
      check(`${at}.serviceAccountName`, pod.serviceAccountName, optional(dnsSubdomainProblem));
      (pod.imagePullSecrets ?? []).forEach((s: any, i: number) => check(`${at}.imagePullSecrets[${i}].name`, s?.name, dnsSubdomainProblem));
      out.push(...podVolumeViolations(pod, at));
      break;
    }
    case 'Kustomization':
      check('spec.kubeConfig.secretRef.name', o.spec?.kubeConfig?.secretRef?.name, optional(dnsSubdomainProblem));
      check('spec.sourceRef.name', o.spec?.sourceRef?.name, dnsSubdomainProblem);
      check('spec.sourceRef.namespace', o.spec?.sourceRef?.namespace, optional(dnsLabelProblem));
      (o.spec?.healthChecks ?? []).forEach((h: any, i: number) => {
        check(`spec.healthChecks[${i}].name`, h?.name, dnsSubdomainProblem);
        check(`spec.healthChecks[${i}].namespace`, h?.namespace, dnsLabelProblem);
      });
      break;
    case 'Application':
      check('spec.project', o.spec?.project, dnsSubdomainProblem);
      check('spec.destination.namespace', o.spec?.destination?.namespace, optional(dnsLabelProblem));
      break;
    case 'ApplicationSet':
      out.push(...templateViolations(o));
      break;
  }
  return out;
}

/**
 * The fields of our ApplicationSet that the ApplicationSet controller fills from the list
 * generator's elements; every other string of its template must hold no Go-template text, or the
 * controller would evaluate text that came from the pipeline file.
 */
const TEMPLATED: Readonly<Record<string, string>> = {
  'spec.template.metadata.name': '{{.name}}',
  'spec.template.spec.source.path': '{{.path}}',
  'spec.template.spec.destination.name': '{{.cluster}}',
};

function templateViolations(appSet: any): string[] {
  const out: string[] = [];
  const walk = (value: unknown, at: string) => {
    if (typeof value === 'string') {
      if (TEMPLATED[at] !== undefined ? value !== TEMPLATED[at] : /\{\{|\}\}/.test(value)) {
        out.push(`${at}: ${shownValue(value)} holds Go-template text ({{ or }}), which the ApplicationSet controller would evaluate`);
      }
    } else if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${at}[${i}]`));
    else if (value && typeof value === 'object') Object.entries(value).forEach(([k, v]) => walk(v, `${at}.${k}`));
  };
  walk(appSet.spec?.template, 'spec.template');
  const elements = appSet.spec?.generators?.[0]?.list?.elements ?? [];
  elements.forEach((e: any, i: number) => {
    const at = `spec.generators[0].list.elements[${i}]`;
    const problem = dnsSubdomainProblem(e?.name);
    if (problem) out.push(`${at}.name: ${problem}`);
  });
  check('spec.template.spec.project', appSet.spec?.template?.spec?.project, dnsSubdomainProblem, out);
  return out;
}

function check(field: string, value: unknown, rule: Check, out: string[]): void {
  const problem = rule(value);
  if (problem) out.push(`${field}: ${problem}`);
}

/** The host directories every installer mounts besides binaryPath: containerd's config directory and the lock directory. */
const FIXED_HOST_MOUNTS = new Set([CONTAINERD_CONFIG_DIR, INSTALLER_LOCK_DIR]);

/**
 * Volumes and mounts as the API server checks them (unique volume names, unique mount paths per
 * container, mounts of existing volumes), hostPath volumes by the host directory rule, and
 * every installer container's environment as install.sh checks it.
 */
function podVolumeViolations(pod: any, at: string): string[] {
  const out: string[] = [];
  const volumes = new Set<string>();
  (pod.volumes ?? []).forEach((v: any, i: number) => {
    check(`${at}.volumes[${i}].name`, v?.name, dnsLabelProblem, out);
    if (volumes.has(v?.name)) out.push(`${at}.volumes[${i}].name: another volume is named ${shownValue(v?.name)}`);
    volumes.add(v?.name);
    const hostPath = v?.hostPath?.path;
    if (hostPath !== undefined && !FIXED_HOST_MOUNTS.has(hostPath)) {
      check(`${at}.volumes[${i}].hostPath.path`, hostPath, (p) => (typeof p === 'string' ? hostDirectoryProblem(p) : 'must be a string'), out);
    }
  });
  const hostPaths = (pod.volumes ?? []).map((v: any) => v?.hostPath?.path).filter((p: unknown) => p !== undefined);
  if (new Set(hostPaths).size !== hostPaths.length) out.push(`${at}.volumes: two hostPath volumes mount the same host directory`);
  for (const group of ['initContainers', 'containers']) {
    (pod[group] ?? []).forEach((c: any, i: number) => {
      const cat = `${at}.${group}[${i}]`;
      check(`${cat}.name`, c?.name, dnsLabelProblem, out);
      const paths = new Set<string>();
      (c?.volumeMounts ?? []).forEach((m: any, j: number) => {
        if (!volumes.has(m?.name)) out.push(`${cat}.volumeMounts[${j}].name: no volume is named ${shownValue(m?.name)}`);
        if (paths.has(m?.mountPath)) out.push(`${cat}.volumeMounts[${j}].mountPath: ${shownValue(m?.mountPath)} is mounted twice (the API server refuses it)`);
        paths.add(m?.mountPath);
      });
      const env: Record<string, unknown> = {};
      (c?.env ?? []).forEach((e: any, j: number) => {
        check(`${cat}.env[${j}].name`, e?.name, (n) => (typeof n === 'string' && ENV_NAME.test(n) ? undefined : `${shownValue(n)} is not a valid environment variable name`), out);
        env[e?.name] = e?.value;
      });
      if (env.RUNTIME_NAME !== undefined) {
        for (const p of installerEnvironmentProblems(env, INSTALLER_CONTAINER_KEYS)) out.push(`${cat}.env.${p.key}: the installer would refuse it: ${p.message}`);
      }
    });
  }
  return out;
}

/** Variables the DaemonSets set on installer containers besides the runtime's environment. */
const INSTALLER_CONTAINER_KEYS: readonly string[] = ['HOST_ROOT', 'ARTIFACT_DIR', 'KEEP_FILES'];

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
  const containers: Container[] = [...(pod.initContainers ?? []), ...(pod.containers ?? [])];
  if (containers.some((c) => c.securityContext?.privileged && !(pod.initContainers ?? []).includes(c))) {
    out.push('only init containers may be privileged');
  }
  for (const c of containers) {
    const image = pinnedImageProblem(c.image);
    if (image) out.push(`container ${c.name}: ${image}`);
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

/** Pinned to a tag (not `latest`) or a digest, by a valid image reference. */
export function isPinned(image: string): boolean {
  return pinnedImageProblem(image) === undefined;
}
