import { createHash } from 'crypto';
import { MANAGED_BY } from '../constructs/labels';
import { GeneratedFile, toYaml } from '../output/render';
import { TarEntry, gzipStored, tar } from './tar';

export const ACKNOWLEDGER_NAME = 'shoot-runtimes-acknowledger';
/** Helm puts the release's namespace here (gardenlet installs the chart into `extension-<registration>`). */
const NAMESPACE = '{{ .Release.Namespace }}';
const SCRIPT_KEY = 'acknowledger.js';
const SCRIPT_DIR = '/acknowledger';

export interface AcknowledgerChartProps {
  /** Runtime types the acknowledger answers for. */
  readonly types: readonly string[];
  /** The Node.js image, pinned (mirrored by spec.registry). */
  readonly image: string;
  /** The acknowledger as one JavaScript file. */
  readonly script: string;
  /** The chart's version (the package's). */
  readonly version: string;
}

/** The chart's objects, before they become templates: checked against their schemas like every output. */
export function acknowledgerObjects(props: AcknowledgerChartProps): GeneratedFile[] {
  const labels = { ...MANAGED_BY, 'app.kubernetes.io/name': ACKNOWLEDGER_NAME };
  const metadata = { name: ACKNOWLEDGER_NAME, namespace: NAMESPACE, labels };
  const clusterRole = `shoot-runtimes:${ACKNOWLEDGER_NAME}`;
  return [
    { path: 'templates/serviceaccount.yaml', object: { apiVersion: 'v1', kind: 'ServiceAccount', metadata } },
    {
      path: 'templates/clusterrole.yaml',
      object: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: clusterRole, labels },
        // ContainerRuntimes live in every shoot namespace of the seed: a ClusterRole, limited to them.
        rules: [
          { apiGroups: ['extensions.gardener.cloud'], resources: ['containerruntimes'], verbs: ['get', 'list', 'watch', 'patch'] },
          { apiGroups: ['extensions.gardener.cloud'], resources: ['containerruntimes/status'], verbs: ['patch'] },
        ],
      },
    },
    {
      path: 'templates/clusterrolebinding.yaml',
      object: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRoleBinding',
        metadata: { name: clusterRole, labels },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: clusterRole },
        subjects: [{ kind: 'ServiceAccount', name: ACKNOWLEDGER_NAME, namespace: NAMESPACE }],
      },
    },
    {
      path: 'templates/deployment.yaml',
      object: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata,
        spec: {
          // One writer; Recreate so that two never answer at once (their answers would be the same anyway).
          replicas: 1,
          revisionHistoryLimit: 2,
          strategy: { type: 'Recreate' },
          selector: { matchLabels: { 'app.kubernetes.io/name': ACKNOWLEDGER_NAME } },
          template: {
            metadata: {
              // Gardener's seed network policies: only labelled pods may reach the seed's API server.
              labels: { ...labels, 'networking.gardener.cloud/to-runtime-apiserver': 'allowed' },
              annotations: { 'shoot-runtimes.dev/acknowledger-checksum': createHash('sha256').update(props.script).digest('hex') },
            },
            spec: {
              serviceAccountName: ACKNOWLEDGER_NAME,
              // The token is how it talks to the API server.
              automountServiceAccountToken: true,
              securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
              terminationGracePeriodSeconds: 10,
              containers: [{
                name: 'acknowledger',
                image: props.image,
                imagePullPolicy: 'IfNotPresent',
                command: ['node', `${SCRIPT_DIR}/${SCRIPT_KEY}`],
                env: [{ name: 'TYPES', value: props.types.join(',') }],
                resources: { requests: { cpu: '10m', memory: '32Mi' }, limits: { memory: '128Mi' } },
                securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
                volumeMounts: [{ name: 'script', mountPath: SCRIPT_DIR, readOnly: true }],
              }],
              volumes: [{ name: 'script', configMap: { name: ACKNOWLEDGER_NAME } }],
            },
          },
        },
      },
    },
  ];
}

/**
 * The ConfigMap template: the script comes from the chart's files/ at install time, so Helm never
 * parses the JavaScript as a template.
 */
export function configMapTemplate(): string {
  const head = toYaml({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: ACKNOWLEDGER_NAME, namespace: NAMESPACE, labels: { ...MANAGED_BY, 'app.kubernetes.io/name': ACKNOWLEDGER_NAME } } });
  return `${head}data:\n{{ (.Files.Glob "files/${SCRIPT_KEY}").AsConfig | indent 2 }}\n`;
}

/** The chart's files, relative to its directory. */
export function acknowledgerChartFiles(props: AcknowledgerChartProps): TarEntry[] {
  return [
    { name: 'Chart.yaml', content: toYaml({ apiVersion: 'v2', name: ACKNOWLEDGER_NAME, description: 'Answers gardenlet for ContainerRuntimes whose runtimes shoot-runtimes delivers through GitOps', type: 'application', version: props.version, appVersion: props.version }) },
    { name: 'values.yaml', content: '# Everything is fixed at render time by shoot-runtimes synth.\n{}\n' },
    { name: `files/${SCRIPT_KEY}`, content: props.script },
    { name: 'templates/configmap.yaml', content: configMapTemplate() },
    ...acknowledgerObjects(props).map((f) => ({ name: f.path, content: toYaml(f.object) })),
  ];
}

/** The chart as a .tgz: every entry under `<chart name>/`, byte-identical for the same props. */
export function acknowledgerChartArchive(props: AcknowledgerChartProps): Buffer {
  return gzipStored(tar(acknowledgerChartFiles(props).map((f) => ({ name: `${ACKNOWLEDGER_NAME}/${f.name}`, content: f.content }))));
}
