import * as path from 'path';
import { InputError, installerFiles, installerVersion, runPipeline } from '../src';
import { containerRuntimeObject, objectsOf, shoot, writeFiles } from './support/fixtures';

const GVISOR_FLAGS = { apiVersion: 'gvisor.runtime.extensions.config.gardener.cloud/v1alpha1', kind: 'GVisorConfiguration', configFlags: { 'net-raw': 'true' } };

const VERSION = installerVersion(installerFiles());

function run(files: Record<string, string>) {
  const dir = writeFiles(files);
  return runPipeline({ inputs: [dir] });
}

test('a multi-pool shoot with taints and providerConfig yields per-pool classes, shoot-wide classes and one installer per runtime', () => {
  const { files, summary } = run({
    'shoots.yaml': shoot('garden-dev', 'alpha', [
      { name: 'system' },
      {
        name: 'sandbox',
        runtimes: [{ type: 'gvisor', providerConfig: GVISOR_FLAGS }, { type: 'kata' }],
        taints: [{ key: 'dedicated', value: 'sandbox', effect: 'NoSchedule' }, { key: 'gpu', effect: 'NoExecute' }],
      },
    ]),
  });
  expect(files.map((f) => f.path)).toEqual([
    'shoots/garden-dev/alpha/daemonset-gvisor-sandbox.yaml',
    'shoots/garden-dev/alpha/daemonset-kata-sandbox.yaml',
    'shoots/garden-dev/alpha/runtimeclass-gvisor-sandbox.yaml',
    'shoots/garden-dev/alpha/runtimeclass-gvisor.yaml',
    'shoots/garden-dev/alpha/runtimeclass-kata-clh-sandbox.yaml',
    'shoots/garden-dev/alpha/runtimeclass-kata-clh.yaml',
    'shoots/garden-dev/alpha/runtimeclass-kata-qemu-sandbox.yaml',
    'shoots/garden-dev/alpha/runtimeclass-kata-qemu.yaml',
    'shoots/garden-dev/alpha/serviceaccount-shoot-runtimes-installer.yaml',
    'shoots/garden-dev/alpha/kustomization.yaml',
    '.shoot-runtimes/installed/garden-dev/alpha.json',
    `installer/${VERSION}/configmap-shoot-runtimes-installer-${VERSION}.yaml`,
    `installer/${VERSION}/kustomization.yaml`,
  ]);
  expect(summary).toEqual({ shoots: 1, pools: 1, runtimes: 2, skippedDocuments: 0 });

  const objects = objectsOf(files);
  const tolerations = [
    { key: 'dedicated', operator: 'Equal', value: 'sandbox', effect: 'NoSchedule' },
    { key: 'gpu', operator: 'Exists', effect: 'NoExecute' },
  ];
  expect(objects['RuntimeClass/gvisor-sandbox']).toEqual(expect.objectContaining({
    apiVersion: 'node.k8s.io/v1',
    handler: 'runsc',
    scheduling: {
      nodeSelector: { 'worker.gardener.cloud/pool': 'sandbox', 'worker.garden.sapcloud.io/group': 'sandbox' },
      tolerations,
    },
  }));
  expect(objects['RuntimeClass/gvisor-sandbox'].metadata.namespace).toBeUndefined();
  expect(objects['RuntimeClass/gvisor'].scheduling).toEqual({ nodeSelector: { 'containerruntime.worker.gardener.cloud/gvisor': 'true' } });
  expect(objects['RuntimeClass/kata-qemu-sandbox'].overhead).toEqual({ podFixed: { cpu: '250m', memory: '320Mi' } });
  expect(objects['RuntimeClass/kata-clh'].overhead).toEqual({ podFixed: { cpu: '250m', memory: '130Mi' } });

  const ds = objects['DaemonSet/gvisor-sandbox'];
  expect(ds.metadata.namespace).toBe('kube-system');
  expect(ds.spec.template.spec.nodeSelector).toEqual({
    'worker.gardener.cloud/pool': 'sandbox', 'worker.garden.sapcloud.io/group': 'sandbox', 'worker.gardener.cloud/cri-name': 'containerd',
  });
  // The pool's taints, and Gardener's node-readiness taint (new nodes wait for the installer).
  expect(ds.spec.template.spec.tolerations).toEqual([...tolerations, { key: 'node.gardener.cloud/critical-components-not-ready', operator: 'Exists', effect: 'NoSchedule' }]);
  const install = ds.spec.template.spec.initContainers.find((c: any) => c.name === 'install');
  const env = Object.fromEntries(install.env.map((e: any) => [e.name, e.value]));
  expect(env.RUNTIME_CONFIG_PATH).toBe('/etc/containerd/runsc.toml');
  expect(env.RUNTIME_CONFIG_CONTENT).toContain('net-raw = "true"');
  expect(env.RUNTIME_HANDLERS).toBe('runsc');
  expect(env.BINARY_PATH).toBe('/var/bin/containerruntimes');
});

test('pools and shoots without runtimes produce no runtime objects', () => {
  const { files } = run({
    'a.yaml': shoot('garden-dev', 'plain', [{ name: 'default' }, { name: 'other', runtimes: [] }]),
  });
  expect(files.map((f) => f.path)).toEqual(['shoots/garden-dev/plain/kustomization.yaml']);
  expect(files[0].content).toContain('resources: []');
});

test('a ContainerRuntime from the seed is taken as it is and renders exactly like the Shoot it came from', () => {
  const fromSeed = run({ 'cr.yaml': containerRuntimeObject('dev', 'alpha', 'gvisor', 'sandbox', GVISOR_FLAGS) });
  const fromShoot = run({ 'shoot.yaml': shoot('garden-dev', 'alpha', [{ name: 'sandbox', runtimes: [{ type: 'gvisor', providerConfig: GVISOR_FLAGS }] }]) });
  expect(fromSeed.files.map((f) => f.path)[0]).toBe('shoots/garden-dev/alpha/daemonset-gvisor-sandbox.yaml');
  // The installed state remembers the taints only where the input told them.
  expect(fromSeed.files.find((f) => f.path.endsWith('alpha.json'))!.content).not.toContain('taints');
  // The seed object does not know the pool's taints, so its installer tolerates every taint.
  const seedDs = objectsOf(fromSeed.files)['DaemonSet/gvisor-sandbox'];
  expect(seedDs.spec.template.spec.tolerations).toEqual([{ operator: 'Exists' }]);
  const shootDs = objectsOf(fromShoot.files)['DaemonSet/gvisor-sandbox'];
  // ... where the Shoot's installer tolerates exactly the pool's (no) taints and the node-readiness taint.
  const tolerations = shootDs.spec.template.spec.tolerations;
  expect(tolerations).toEqual([{ key: 'node.gardener.cloud/critical-components-not-ready', operator: 'Exists', effect: 'NoSchedule' }]);
  expect({ ...seedDs, spec: { ...seedDs.spec, template: { ...seedDs.spec.template, spec: { ...seedDs.spec.template.spec, tolerations } } } })
    .toEqual(shootDs);
});

test('a custom binaryPath of a ContainerRuntime object reaches the hostPath and the installer', () => {
  const text = containerRuntimeObject('dev', 'alpha', 'gvisor', 'sandbox').replace('/var/bin/containerruntimes', '/opt/runtimes');
  const ds = objectsOf(run({ 'cr.yaml': text }).files)['DaemonSet/gvisor-sandbox'];
  expect(ds.spec.template.spec.volumes).toContainEqual({ name: 'host-binary-path', hostPath: { path: '/opt/runtimes', type: 'DirectoryOrCreate' } });
  const install = ds.spec.template.spec.initContainers[1];
  expect(install.env).toContainEqual({ name: 'BINARY_PATH', value: '/opt/runtimes' });
});

test('the type is kept as written while an alias selects the catalog entry', () => {
  const objects = objectsOf(run({ 's.yaml': shoot('garden-dev', 'a', [{ name: 'vm', runtimes: [{ type: 'kata-containers' }] }]) }).files);
  expect(objects['DaemonSet/kata-containers-vm']).toBeDefined();
  expect(objects['RuntimeClass/kata-qemu'].scheduling.nodeSelector).toEqual({ 'containerruntime.worker.gardener.cloud/kata-containers': 'true' });
});

test('output is byte-identical whatever the order and names of the input files', () => {
  const a = shoot('garden-dev', 'alpha', [{ name: 'sandbox', runtimes: [{ type: 'gvisor' }] }]);
  const b = shoot('garden-ml', 'beta', [{ name: 'vm', runtimes: [{ type: 'kata' }] }, { name: 'g', runtimes: [{ type: 'gvisor' }] }]);
  const c = containerRuntimeObject('ops', 'edge', 'gvisor', 'workers');
  const first = run({ '1.yaml': a, '2.yaml': b, 'x/3.yml': c });
  const second = run({ 'zz.yaml': `${c}---\n${b}`, 'aa/bb.yaml': a });
  expect(second.files).toEqual(first.files);
  expect(JSON.stringify(first.files)).not.toMatch(/cdk8s\.io|[0-9]{4}-[0-9]{2}-[0-9]{2}T/);
});

test('other kinds are skipped and counted', () => {
  const { summary } = run({ 'a.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\n# only a comment\n---\napiVersion: core.gardener.cloud/v1beta1\nkind: Project\nmetadata: {name: p}\n' });
  expect(summary.skippedDocuments).toBe(2);
  expect(summary.shoots).toBe(0);
});

test('every problem of a run is reported with file, line, object and field', () => {
  const bad = `${shoot('garden-dev', 'one', [{ name: 'p', runtimes: [{ type: 'rocket-sandbox' }] }])}---\n`
    + shoot('garden-dev', 'two', [{ name: 'p', runtimes: [{ type: 'gvisor', providerConfig: { configFlags: { 'net-raw': 'maybe' } } }] }]);
  const dir = writeFiles({ 'bad.yaml': bad });
  let error: unknown;
  try { runPipeline({ inputs: [dir] }); } catch (e) { error = e; }
  expect(error).toBeInstanceOf(InputError);
  const messages = (error as Error).message.split('\n').map((m) => m.replace(dir + path.sep, ''));
  expect(messages).toEqual([
    'bad.yaml:16: Shoot garden-dev/one: spec.provider.workers[0].cri.containerRuntimes[0].type: unknown runtime type "rocket-sandbox" (known: gvisor, kata, kata-containers, kata-fc, kata-firecracker, spin, wasm-spin)',
    'bad.yaml:36: Shoot garden-dev/two: spec.provider.workers[0].cri.containerRuntimes[0].providerConfig.configFlags.net-raw: must be "true" or "false", not "maybe"; refused on purpose: Gardener\'s gVisor extension would drop it silently',
  ]);
});

test('a runtime that does not support the pool\'s architecture is refused', () => {
  expect(() => run({ 'a.yaml': shoot('garden-dev', 'a', [{ name: 'arm', architecture: 'arm64', runtimes: [{ type: 'kata' }] }]) }))
    .toThrow('runtime type "kata" does not support the pool\'s architecture arm64 (supports: amd64)');
});

test('a seed ContainerRuntime that agrees with its Shoot is the same runtime: the output equals the Shoot alone', () => {
  const alone = run({ 'a.yaml': shoot('garden-dev', 'alpha', [{ name: 'sandbox', runtimes: [{ type: 'gvisor', providerConfig: GVISOR_FLAGS }] }]) });
  const both = run({
    'a.yaml': shoot('garden-dev', 'alpha', [{ name: 'sandbox', runtimes: [{ type: 'gvisor', providerConfig: GVISOR_FLAGS }] }]),
    'b.yaml': containerRuntimeObject('dev', 'alpha', 'gvisor', 'sandbox', GVISOR_FLAGS),
  });
  expect(both.files).toEqual(alone.files);
  expect(both.summary).toEqual(alone.summary);
});

test('a seed ContainerRuntime that disagrees with its Shoot is refused, naming both', () => {
  const differing = {
    'providerConfig': containerRuntimeObject('dev', 'alpha', 'gvisor', 'sandbox', { configFlags: { 'net-raw': 'false' } }),
    'binaryPath': containerRuntimeObject('dev', 'alpha', 'gvisor', 'sandbox', GVISOR_FLAGS).replace('/var/bin/containerruntimes', '/opt/runtimes'),
    'selector': containerRuntimeObject('dev', 'alpha', 'gvisor', 'sandbox', GVISOR_FLAGS).replace(/( +)worker.garden.sapcloud.io\/group: sandbox\n/, ''),
    'name': containerRuntimeObject('dev', 'alpha', 'gvisor', 'sandbox', GVISOR_FLAGS).replace('name: gvisor-sandbox', 'name: sandboxed'),
  };
  const fields: Record<string, string> = { providerConfig: 'spec.providerConfig', binaryPath: 'spec.binaryPath', selector: 'spec.workerPool.selector', name: 'metadata.name' };
  for (const [what, object] of Object.entries(differing)) {
    expect(() => run({
      'a.yaml': shoot('garden-dev', 'alpha', [{ name: 'sandbox', runtimes: [{ type: 'gvisor', providerConfig: GVISOR_FLAGS }] }]),
      'b.yaml': object,
    })).toThrow(new RegExp(`^[^\\n]*b\\.yaml:1: ContainerRuntime shoot--dev--alpha/[a-z-]+: differs from runtime "gvisor" of pool sandbox of Shoot garden-dev/alpha \\([^)]*a\\.yaml:1\\) in ${fields[what]}: the seed and the Shoot disagree`));
  }
});
