import { App, Chart, Testing } from 'cdk8s';
import {
  ContainerRuntime, ContainerRuntimeInstallation, GVISOR, InstallerSupport, KATA, installerFiles, installerVersion, poolSelector,
} from '../src';

const runtime: ContainerRuntime = {
  name: 'gvisor-sandbox',
  type: 'gvisor',
  shoot: { projectNamespace: 'garden-dev', name: 'alpha' },
  pool: 'sandbox',
  binaryPath: '/var/bin/containerruntimes',
  nodeSelector: poolSelector('sandbox'),
  taints: [{ key: 'dedicated', value: 'sandbox', effect: 'NoSchedule' }],
  architecture: 'amd64',
  origin: { file: 'test', line: 1 },
};

/** Another cdk8s app adds an installation to a chart of its own. */
function synth(extra: Partial<ContainerRuntime> = {}, definition = GVISOR) {
  const app = Testing.app();
  const chart = new Chart(app, 'mine');
  const support = new InstallerSupport(chart, 'support', { script: '#!/bin/sh\necho test\n' });
  new ContainerRuntimeInstallation(chart, 'gvisor', { runtime: { ...runtime, ...extra }, definition, support, runtimeConfig: '[runsc_config]\n' });
  return Testing.synth(chart);
}

function daemonSet(objects: any[]) {
  return objects.find((o) => o.kind === 'DaemonSet');
}

test('an installation in another app\'s chart yields its classes, the installer and nothing with a path hash', () => {
  const objects = synth();
  expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
    `ConfigMap/shoot-runtimes-installer-${installerVersion({ ...installerFiles(), 'install.sh': '#!/bin/sh\necho test\n' })}`,
    'ServiceAccount/shoot-runtimes-installer',
    'RuntimeClass/gvisor-sandbox',
    'DaemonSet/gvisor-sandbox',
  ]);
  expect(JSON.stringify(objects)).not.toContain('cdk8s.io/metadata.addr');
});

test('the installer DaemonSet has a stable selector, runs only on the pool and updates one node at a time', () => {
  const ds = daemonSet(synth());
  expect(ds.spec.selector).toEqual({ matchLabels: { 'shoot-runtimes.dev/container-runtime': 'gvisor-sandbox' } });
  expect(ds.spec.template.metadata.labels).toEqual(expect.objectContaining(ds.spec.selector.matchLabels));
  expect(ds.spec.updateStrategy).toEqual({ type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } });
  const pod = ds.spec.template.spec;
  expect(pod.priorityClassName).toBe('system-node-critical');
  expect(pod.automountServiceAccountToken).toBe(false);
  expect(pod.serviceAccountName).toBe('shoot-runtimes-installer');
  expect(pod.nodeSelector).toEqual({ ...poolSelector('sandbox'), 'worker.gardener.cloud/cri-name': 'containerd' });
  expect(pod.tolerations).toEqual([
    { key: 'dedicated', operator: 'Equal', value: 'sandbox', effect: 'NoSchedule' },
    { key: 'node.gardener.cloud/critical-components-not-ready', operator: 'Exists', effect: 'NoSchedule' },
  ]);
});

// Gardener's node readiness (docs/usage/advanced/node-readiness.md): gardener-resource-manager
// lifts the critical-components-not-ready taint once every kube-system DaemonSet labelled
// critical-component, on the DaemonSet and on its pod template, has a Ready pod on the node.
test('an installer keeps a new node closed to workloads until it is Ready: critical-component label on DaemonSet and template', () => {
  const ds = daemonSet(synth());
  expect(ds.metadata.namespace).toBe('kube-system');
  expect(ds.metadata.labels['node.gardener.cloud/critical-component']).toBe('true');
  expect(ds.spec.template.metadata.labels['node.gardener.cloud/critical-component']).toBe('true');
  expect(ds.spec.selector.matchLabels['node.gardener.cloud/critical-component']).toBeUndefined();
  expect(ds.spec.template.spec.containers[0].readinessProbe.exec.command).toEqual(['/bin/sh', '/scripts/install.sh', 'verify']);
});

test('only the install init container is privileged; the others run unprivileged and read-only', () => {
  const pod = daemonSet(synth()).spec.template.spec;
  const containers = [...pod.initContainers, ...pod.containers];
  expect(containers.map((c: any) => c.name)).toEqual(['fetch', 'install', 'verify']);
  for (const c of containers) {
    if (c.name === 'install') {
      expect(c.securityContext).toEqual({ privileged: true, allowPrivilegeEscalation: true, runAsUser: 0 });
    } else {
      expect(c.securityContext).toEqual(expect.objectContaining({
        allowPrivilegeEscalation: false, runAsNonRoot: true, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] },
      }));
      expect(c.securityContext.privileged).toBeUndefined();
    }
  }
  const verify = pod.containers[0];
  expect(verify.volumeMounts.filter((m: any) => m.name.startsWith('host-')).every((m: any) => m.readOnly)).toBe(true);
  expect(verify.livenessProbe.exec.command).toEqual(['/bin/sh', '/scripts/install.sh', 'verify']);
});

test('hostPath mounts are limited to binaryPath, the containerd config and the lock directory', () => {
  const pod = daemonSet(synth({ binaryPath: '/opt/rt' })).spec.template.spec;
  expect(pod.volumes.filter((v: any) => v.hostPath).map((v: any) => v.hostPath.path)).toEqual(['/opt/rt', '/etc/containerd', '/run/shoot-runtimes']);
  expect(pod.initContainers[1].volumeMounts.map((m: any) => m.mountPath)).toEqual([
    '/scripts', '/artifacts', '/host/opt/rt', '/host/etc/containerd', '/host/run/shoot-runtimes',
  ]);
});

test('values reach the script as environment variables, never in the script text', () => {
  const objects = synth({ pool: 'p$(id)' });
  const configMap = objects.find((o) => o.kind === 'ConfigMap');
  expect(configMap.data['install.sh']).toBe('#!/bin/sh\necho test\n');
  const install = daemonSet(objects).spec.template.spec.initContainers[1];
  expect(install.command).toEqual(['/bin/sh', '/scripts/install.sh', 'install']);
  expect(install.env).toContainEqual({ name: 'POOL_NAME', value: 'p$(id)' });
});

test('the checksum annotation changes with the settings, so pods roll', () => {
  const checksum = (objects: any[]) => daemonSet(objects).spec.template.metadata.annotations['shoot-runtimes.dev/installer-checksum'];
  expect(checksum(synth())).toMatch(/^[0-9a-f]{64}$/);
  expect(checksum(synth())).toBe(checksum(synth()));
  expect(checksum(synth({ binaryPath: '/opt/rt' }))).not.toBe(checksum(synth()));
});

test('every class of a runtime gets a per-pool RuntimeClass with its handler and overhead', () => {
  const objects = synth({ name: 'kata-sandbox', type: 'kata' }, KATA);
  const classes = objects.filter((o) => o.kind === 'RuntimeClass');
  expect(classes.map((c) => [c.metadata.name, c.handler, c.overhead])).toEqual([
    ['kata-qemu-sandbox', 'kata-qemu', { podFixed: { cpu: '250m', memory: '320Mi' } }],
    ['kata-clh-sandbox', 'kata-clh', { podFixed: { cpu: '250m', memory: '130Mi' } }],
  ]);
  const env = daemonSet(objects).spec.template.spec.initContainers[1].env;
  expect(env).toContainEqual({ name: 'RUNTIME_HANDLERS', value: 'kata-qemu kata-clh' });
  expect(env.find((e: any) => e.name === 'RUNTIME_TABLES').value).toBe([
    '[kata-qemu]', 'runtime_type = "io.containerd.kata.v2"', '', '[kata-qemu.options]',
    'ConfigPath = "/var/bin/containerruntimes/configuration-qemu.toml"', '',
    '[kata-clh]', 'runtime_type = "io.containerd.kata.v2"', '', '[kata-clh.options]',
    'ConfigPath = "/var/bin/containerruntimes/configuration-clh.toml"', '',
  ].join('\n'));
});

test('App is the only scope needed: the construct works in a fresh App as well', () => {
  const app = new App({ outdir: '/nonexistent' });
  const chart = new Chart(app, 'c');
  const support = new InstallerSupport(chart, 's', { namespace: 'runtimes', script: '#!/bin/sh\n' });
  new ContainerRuntimeInstallation(chart, 'i', { runtime, definition: GVISOR, support });
  expect(chart.toJson().filter((o: any) => o.metadata.namespace).map((o: any) => o.metadata.namespace)).toEqual(['runtimes', 'runtimes', 'runtimes']);
});

test('a class that needs a snapshotter names it in its handler table', () => {
  const fc = { ...KATA, type: 'kata-fc', classes: [{ name: 'kata-fc', handler: 'kata-fc', runtimeType: 'io.containerd.kata.v2', snapshotter: 'devmapper' }] };
  const env = daemonSet(synth({ name: 'kata-fc-sandbox', type: 'kata-fc' }, fc)).spec.template.spec.initContainers[1].env;
  expect(env.find((e: any) => e.name === 'RUNTIME_TABLES').value).toBe('[kata-fc]\nruntime_type = "io.containerd.kata.v2"\nsnapshotter = "devmapper"\n');
});

test('a library user who passes no runtimeConfig still gets gVisor\'s runsc.toml from the providerConfig', () => {
  const app = Testing.app();
  const chart = new Chart(app, 'lib');
  const support = new InstallerSupport(chart, 'support', { script: '#!/bin/sh\n' });
  new ContainerRuntimeInstallation(chart, 'g', { runtime: { ...runtime, providerConfig: { configFlags: { debug: 'true' } } }, definition: GVISOR, support });
  const env = daemonSet(Testing.synth(chart)).spec.template.spec.initContainers[1].env;
  expect(env).toContainEqual({ name: 'RUNTIME_CONFIG_PATH', value: '/etc/containerd/runsc.toml' });
  expect(env.find((e: any) => e.name === 'RUNTIME_CONFIG_CONTENT').value).toContain('debug = "true"');
  expect(() => new ContainerRuntimeInstallation(new Chart(Testing.app(), 'bad'), 'g', {
    runtime: { ...runtime, providerConfig: { configFlags: { debug: 'maybe' } } }, definition: GVISOR, support: new InstallerSupport(chart, 's2'),
  })).toThrow('providerConfig.configFlags.debug: must be "true" or "false", not "maybe"');
});
