import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { ROOT } from './support/cli';
import { readTree, tempDir, withoutFingerprints } from './support/fixtures';

/** kubernetes-models 4.x: offline JSON-schema validation of Kubernetes 1.33 objects. */
const MODELS: Record<string, () => { new (o: unknown): { validate(): void } }> = {
  'apps/v1/DaemonSet': () => require('kubernetes-models/apps/v1/DaemonSet').DaemonSet,
  'node.k8s.io/v1/RuntimeClass': () => require('kubernetes-models/node.k8s.io/v1/RuntimeClass').RuntimeClass,
  'v1/ConfigMap': () => require('kubernetes-models/v1/ConfigMap').ConfigMap,
  'v1/ServiceAccount': () => require('kubernetes-models/v1/ServiceAccount').ServiceAccount,
  // The garden's objects (dist/garden/): Gardener's types, schemas written from gardener/gardener.
  'core.gardener.cloud/v1beta1/ControllerRegistration': () => require('../src/validate/gardener').ControllerRegistration,
  'core.gardener.cloud/v1/ControllerDeployment': () => require('../src/validate/gardener').ControllerDeployment,
};

const DIST = path.join(ROOT, 'dist');
const shootDirs = Object.keys(readTree(DIST))
  .filter((f) => !f.startsWith('installer/') && f.endsWith('/kustomization.yaml'))
  .map((f) => path.dirname(f));

test('the example renders every kind of case the README promises', () => {
  expect(shootDirs).toEqual(expect.arrayContaining([
    'shoots/garden-dev/alpha', 'shoots/garden-dev/beta', 'shoots/garden-ml/training', 'shoots/garden-ml/notebooks', 'shoots/garden-ops/edge', 'garden',
  ]));
});

test.each(shootDirs)('kubectl kustomize builds %s with its installer version, and every object it yields passes its schema', (dir) => {
  const built = execFileSync('kubectl', ['kustomize', path.join(DIST, dir)], { encoding: 'utf8' });
  const objects = yaml.loadAll(built) as { apiVersion: string; kind: string; metadata: { name: string }; spec?: any }[];
  const listed = (yaml.load(fs.readFileSync(path.join(DIST, dir, 'kustomization.yaml'), 'utf8')) as { resources: string[] }).resources;
  const files = listed.filter((r) => !r.startsWith('../'));
  expect(files.sort()).toEqual(fs.readdirSync(path.join(DIST, dir)).filter((f) => f !== 'kustomization.yaml').sort());
  if (dir.startsWith('shoots/')) {
    // Every file of the directory, then the one installer directory the shoot's DaemonSets use.
    const [installerDir, ...rest] = listed.filter((r) => r.startsWith('../'));
    expect(rest).toEqual([]);
    expect(path.relative(DIST, path.join(DIST, dir, installerDir))).toMatch(/^installer\/[0-9a-f]{10}$/);
    expect(objects).toHaveLength(files.length + 1);
    const configMap = objects.find((o) => o.kind === 'ConfigMap')!;
    expect(configMap.metadata.name).toBe(`shoot-runtimes-installer-${path.basename(installerDir)}`);
    for (const ds of objects.filter((o) => o.kind === 'DaemonSet')) {
      expect(ds.spec.template.spec.volumes.find((v: any) => v.name === 'installer-script').configMap.name).toBe(configMap.metadata.name);
    }
  } else {
    expect(objects).toHaveLength(files.length);
  }
  for (const object of objects) {
    const model = MODELS[`${object.apiVersion}/${object.kind}`];
    expect(model).toBeDefined();
    expect(() => new (model())(object).validate()).not.toThrow();
  }
});

test('a schema violation is caught by the validation used above', () => {
  const file = path.join(DIST, 'shoots/garden-dev/beta/daemonset-gvisor-graviton.yaml');
  const ds = yaml.load(fs.readFileSync(file, 'utf8')) as any;
  ds.spec.template.spec.containers[0].securityContext.runAsUser = 'root';
  expect(() => new (MODELS['apps/v1/DaemonSet']())(ds).validate()).toThrow(/runAsUser must be integer/);
});

test('cdk8s synth (cdk8s.yaml) renders the same tree as shoot-runtimes synth', () => {
  const out = path.join(tempDir(), 'cdk8s-out');
  execFileSync(path.join(ROOT, 'node_modules/.bin/cdk8s'), ['synth', '--no-check-upgrade', '--output', out], { cwd: ROOT, encoding: 'utf8' });
  expect(withoutFingerprints(readTree(out))).toEqual(withoutFingerprints(readTree(DIST)));
});

test('imports/ is what cdk8s import generates from crds/ today', () => {
  const dir = tempDir();
  // crds/kustomization.yaml only validates Flux Kustomizations; it is not imported.
  for (const crd of ['containerruntime.yaml', 'artifactgenerator.yaml']) {
    execFileSync(path.join(ROOT, 'node_modules/.bin/cdk8s'), ['import', '--no-check-upgrade', path.join(ROOT, 'crds', crd), '-l', 'typescript', '-o', dir], { cwd: dir, encoding: 'utf8' });
  }
  expect(readTree(dir)).toEqual(readTree(path.join(ROOT, 'imports')));
});
