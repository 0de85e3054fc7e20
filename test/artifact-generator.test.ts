import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { InputError } from '../src';
import { artifactGenerator } from '../src/gitops/artifact-generator';
import { gitopsConfig } from '../src/gitops/config';
import { crdModel } from '../src/validate/crd-schema';
import { cli } from './support/cli';
import { kustomizeObjects, readTree, shoot, tempDir, writeFiles } from './support/fixtures';

const ArtifactGenerator = crdModel('artifactgenerator.yaml', 'v1beta1');
const Kustomization = crdModel('kustomization.yaml', 'v1');

const garden: Record<string, string> = {
  'garden/a.yaml': shoot('garden-dev', 'alpha', [{ name: 'sandbox', runtimes: [{ type: 'gvisor' }] }]),
  'garden/b.yaml': shoot('garden-dev', 'beta', [{ name: 'vm', runtimes: [{ type: 'kata' }] }]),
  'garden/c.yaml': shoot('garden-ml', 'plain', [{ name: 'default' }]),
};

function pipeline(per: string): string {
  return ['apiVersion: shoot-runtimes.dev/v1alpha1', 'kind: Pipeline', 'metadata: {name: t}', 'spec:', '  sources: [garden]', '  output: {dir: out}',
    '  gitops:', '    flux:', '      sourceRef: {kind: GitRepository, name: fleet, namespace: flux-system}', `      artifactGenerators: ${per}`].join('\n');
}

const load = (file: string) => yaml.load(fs.readFileSync(file, 'utf8')) as any;

/**
 * A stand-in for source-watcher's copy step, for the only form the generators use
 * (`@alias/<dir>/**` to `@artifact/<dir>/`): every file under `<repo>/<dir>` at the same path
 * below `<artifact>/<dir>`. Returns the artifact's directory.
 */
function buildArtifact(repo: string, artifact: { copy: { from: string; to: string }[] }): string {
  const out = tempDir();
  for (const { from, to } of artifact.copy) {
    const source = /^@output\/(.+)\/\*\*$/.exec(from)![1];
    const target = /^@artifact\/(.+)\/$/.exec(to)![1];
    for (const [rel, text] of Object.entries(readTree(path.join(repo, source)))) {
      fs.mkdirSync(path.dirname(path.join(out, target, rel)), { recursive: true });
      fs.writeFileSync(path.join(out, target, rel), text);
    }
  }
  return out;
}

test('artifactGenerators: namespace gives each shoot an ExternalArtifact with its directory and its installer, which kustomize builds whole', () => {
  const dir = writeFiles({ ...garden, 'pipeline.yaml': pipeline('namespace') });
  expect(cli(['synth', '--config', path.join(dir, 'pipeline.yaml')]).status).toBe(0);
  const out = path.join(dir, 'out');
  const files = Object.keys(readTree(path.join(out, 'flux/_artifactgenerators'))).sort();
  expect(files).toEqual(['garden-dev/shoot-runtimes-dev.yaml', 'garden-ml/shoot-runtimes-ml.yaml']);

  const generator = load(path.join(out, 'flux/_artifactgenerators/garden-dev/shoot-runtimes-dev.yaml'));
  expect(() => new ArtifactGenerator(generator).validate()).not.toThrow();
  expect(generator.metadata.namespace).toBe('garden-dev');
  expect(generator.spec.sources).toEqual([{ alias: 'output', kind: 'GitRepository', name: 'fleet', namespace: 'flux-system' }]);
  const installer = fs.readdirSync(path.join(out, 'installer'))[0];
  expect(generator.spec.artifacts[0]).toEqual({
    name: 'shoot-runtimes-dev--alpha',
    copy: [
      { from: '@output/out/shoots/garden-dev/alpha/**', to: '@artifact/shoots/garden-dev/alpha/' },
      { from: `@output/out/installer/${installer}/**`, to: `@artifact/installer/${installer}/` },
    ],
  });
  // A shoot without installers gets only its directory.
  const plain = load(path.join(out, 'flux/_artifactgenerators/garden-ml/shoot-runtimes-ml.yaml')).spec.artifacts[0];
  expect(plain.copy).toEqual([{ from: '@output/out/shoots/garden-ml/plain/**', to: '@artifact/shoots/garden-ml/plain/' }]);

  const k = load(path.join(out, 'flux/garden-dev/alpha.yaml'));
  expect(() => new Kustomization(k).validate()).not.toThrow();
  expect(k.spec.sourceRef).toEqual({ kind: 'ExternalArtifact', name: 'shoot-runtimes-dev--alpha', namespace: 'garden-dev' });
  expect(k.spec.path).toBe('./shoots/garden-dev/alpha');

  // What the Kustomization fetches holds exactly the shoot's files and its installer, and builds.
  const artifact = buildArtifact(dir, generator.spec.artifacts[0]);
  expect(Object.keys(readTree(artifact)).every((p) => p.startsWith('shoots/garden-dev/alpha/') || p.startsWith(`installer/${installer}/`))).toBe(true);
  const objects = kustomizeObjects(path.join(artifact, k.spec.path));
  expect(Object.keys(objects)).toEqual(expect.arrayContaining(['DaemonSet/gvisor-sandbox', `ConfigMap/shoot-runtimes-installer-${installer}`]));
});

test('artifactGenerators: shard gives each shard its own generator in the source\'s namespace; the shards together cover the fleet', () => {
  const dir = writeFiles({ ...garden, 'pipeline.yaml': pipeline('shard') });
  for (const s of ['1/2', '2/2']) expect(cli(['synth', '--config', path.join(dir, 'pipeline.yaml'), '--shard', s]).status).toBe(0);
  const generators = readTree(path.join(dir, 'out/flux/_artifactgenerators'));
  expect(Object.keys(generators).sort()).toEqual(['flux-system/shoot-runtimes-shard-1-of-2.yaml', 'flux-system/shoot-runtimes-shard-2-of-2.yaml']);
  const names = Object.values(generators).flatMap((text) => (yaml.load(text) as any).spec.artifacts.map((a: any) => a.name)).sort();
  expect(names).toEqual(['shoot-runtimes-dev--alpha', 'shoot-runtimes-dev--beta', 'shoot-runtimes-ml--plain']);
  const k = load(path.join(dir, 'out/flux/garden-ml/plain.yaml'));
  expect(k.spec.sourceRef).toEqual({ kind: 'ExternalArtifact', name: 'shoot-runtimes-ml--plain', namespace: 'flux-system' });
  for (const s of ['1/2', '2/2']) expect(cli(['check', '--config', path.join(dir, 'pipeline.yaml'), '--shard', s]).status).toBe(0);
});

test('a generator never holds more artifacts than source-watcher takes', () => {
  const flux = gitopsConfig({ flux: { sourceRef: { name: 'fleet' }, artifactGenerators: 'shard' } })!.flux!;
  const shoots = Array.from({ length: 1001 }, (_, i) => ({ shoot: { projectNamespace: 'garden-x', name: `s${i}` }, directory: `shoots/garden-x/s${i}` }));
  const make = (n: number) => () => artifactGenerator({ name: 'g', namespace: 'flux-system', shoots: shoots.slice(0, n) }, flux, '.', (s) => s.name);
  expect(() => new ArtifactGenerator(make(1000)()).validate()).not.toThrow();
  expect(make(1001)).toThrow(InputError);
  expect(make(1001)).toThrow('would hold 1001 artifacts, and source-watcher takes at most 1000: render in at least 2 times as many shards');
});

test('artifactGenerators: namespace refuses a Kustomization namespace that depends on the shoot', () => {
  const dir = writeFiles({ ...garden, 'pipeline.yaml': `${pipeline('namespace')}\n      namespace: "{shoot}-flux"` });
  const result = cli(['synth', '--config', path.join(dir, 'pipeline.yaml')]);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('spec.gitops.flux.namespace: must not depend on {shoot} with artifactGenerators: namespace');
});

test('the CRD schemas catch what source-watcher and kustomize-controller would refuse', () => {
  expect(() => new ArtifactGenerator({ apiVersion: 'source.extensions.fluxcd.io/v1beta1', kind: 'ArtifactGenerator', spec: { sources: [], artifacts: [] } }).validate())
    .toThrow(/must NOT have fewer than 1 items/);
  expect(() => new Kustomization({ apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', spec: { interval: '1m', prune: true, sourceRef: { kind: 'ConfigMap', name: 'x' } } }).validate())
    .toThrow(/must be equal to one of the allowed values/);
});
