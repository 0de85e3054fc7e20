import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { cli } from './support/cli';
import { readTree, shoot, tempDir, writeFiles } from './support/fixtures';

const { Kustomization } = require('@kubernetes-models/flux-cd/kustomize.toolkit.fluxcd.io/v1/Kustomization');
const { Application } = require('@kubernetes-models/argo-cd/argoproj.io/v1alpha1/Application');
const { ApplicationSet } = require('@kubernetes-models/argo-cd/argoproj.io/v1alpha1/ApplicationSet');

const GARDEN = {
  'garden/a.yaml': shoot('garden-dev', 'alpha', [{ name: 'sandbox', runtimes: [{ type: 'gvisor' }] }, { name: 'vm', runtimes: [{ type: 'kata' }] }]),
  'garden/b.yaml': shoot('garden-ml', 'plain', [{ name: 'default' }]),
};

function pipeline(gitops: string, output = 'out'): string {
  return ['apiVersion: shoot-runtimes.dev/v1alpha1', 'kind: Pipeline', 'metadata: {name: t}', 'spec:', '  sources: [garden]',
    `  output: {dir: ${output}}`, '  gitops:', ...gitops.split('\n').map((l) => `    ${l}`)].join('\n');
}

function synth(files: Record<string, string>, gitops: string, output?: string) {
  const dir = writeFiles({ ...GARDEN, ...files, 'pipeline.yaml': pipeline(gitops, output) });
  const result = cli(['synth', '--config', path.join(dir, 'pipeline.yaml')]);
  expect(result.stderr).toContain('synth:');
  expect(result.status).toBe(0);
  return dir;
}

const load = (file: string) => yaml.load(fs.readFileSync(file, 'utf8')) as any;

test('Flux, remote (default): one Kustomization per shoot in the secret\'s namespace, pruning, health-checking the installers', () => {
  const dir = synth({}, 'pathPrefix: clusters/runtimes\nflux:\n  sourceRef: {kind: GitRepository, name: fleet, namespace: flux-system}');
  const k = load(path.join(dir, 'out/flux/garden-dev/alpha.yaml'));
  expect(() => new Kustomization(k).validate()).not.toThrow();
  expect(k.metadata).toEqual({ name: 'shoot-runtimes-dev--alpha', namespace: 'garden-dev', labels: { 'app.kubernetes.io/managed-by': 'shoot-runtimes' } });
  expect(k.spec).toEqual({
    interval: '10m',
    path: './clusters/runtimes/shoots/garden-dev/alpha',
    prune: true,
    sourceRef: { kind: 'GitRepository', name: 'fleet', namespace: 'flux-system' },
    timeout: '5m',
    healthChecks: [
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'gvisor-sandbox', namespace: 'kube-system' },
      { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'kata-vm', namespace: 'kube-system' },
    ],
    kubeConfig: { secretRef: { name: 'alpha-kubeconfig' } },
  });
  const plain = load(path.join(dir, 'out/flux/garden-ml/plain.yaml'));
  expect(() => new Kustomization(plain).validate()).not.toThrow();
  expect(plain.spec.healthChecks).toBeUndefined();
});

test('Flux inside each shoot: no kubeConfig; secret name and namespace follow their patterns', () => {
  const inCluster = synth({}, 'flux:\n  mode: in-cluster\n  sourceRef: {name: fleet}\n  interval: 1h');
  const k = load(path.join(inCluster, 'out/flux/garden-dev/alpha.yaml'));
  expect(() => new Kustomization(k).validate()).not.toThrow();
  expect(k.metadata.namespace).toBe('flux-system');
  expect(k.spec.kubeConfig).toBeUndefined();
  expect(k.spec.interval).toBe('1h');
  expect(k.spec.sourceRef).toEqual({ kind: 'GitRepository', name: 'fleet' });

  const patterned = synth({}, 'flux:\n  sourceRef: {name: fleet}\n  kubeConfigSecret: "{project}-{shoot}-admin"\n  namespace: fleet-{project}');
  const p = load(path.join(patterned, 'out/flux/garden-dev/alpha.yaml'));
  expect(p.metadata.namespace).toBe('fleet-dev');
  expect(p.spec.kubeConfig).toEqual({ secretRef: { name: 'dev-alpha-admin' } });
});

test('Argo CD: one Application per shoot with automated prune and self-heal, server-side apply, and sync waves in the shoot directory', () => {
  const dir = synth({}, 'argocd:\n  repoURL: https://git.example.com/fleet.git\n  targetRevision: main\n  destinationName: "{shoot}.{project}"');
  const app = load(path.join(dir, 'out/argocd/garden-dev/alpha.yaml'));
  expect(() => new Application(app).validate()).not.toThrow();
  expect(app.metadata.namespace).toBe('argocd');
  expect(app.spec).toEqual({
    project: 'default',
    source: { repoURL: 'https://git.example.com/fleet.git', targetRevision: 'main', path: 'out/shoots/garden-dev/alpha' },
    destination: { name: 'alpha.dev', namespace: 'kube-system' },
    syncPolicy: { automated: { prune: true, selfHeal: true }, syncOptions: ['ServerSideApply=true'] },
  });
  const wave = (file: string) => load(path.join(dir, 'out/shoots/garden-dev/alpha', file)).metadata.annotations['argocd.argoproj.io/sync-wave'];
  expect(wave('daemonset-gvisor-sandbox.yaml')).toBe('0');
  const installer = fs.readdirSync(path.join(dir, 'out/installer'))[0];
  expect(wave(`../../../installer/${installer}/configmap-shoot-runtimes-installer-${installer}.yaml`)).toBe('0');
  expect(wave('runtimeclass-gvisor-sandbox.yaml')).toBe('1');
  expect(wave('runtimeclass-gvisor.yaml')).toBe('1');
});

test('Argo CD ApplicationSet for the fleet', () => {
  const dir = synth({}, 'argocd:\n  repoURL: https://git.example.com/fleet.git\n  targetRevision: v1\n  applicationSet: true');
  expect(fs.existsSync(path.join(dir, 'out/argocd/garden-dev'))).toBe(false);
  const set = load(path.join(dir, 'out/argocd/applicationset.yaml'));
  expect(() => new ApplicationSet(set).validate()).not.toThrow();
  expect(set.spec.generators[0].list.elements).toEqual([
    { name: 'shoot-runtimes-dev--alpha', cluster: 'shoot--dev--alpha', path: 'out/shoots/garden-dev/alpha' },
    { name: 'shoot-runtimes-ml--plain', cluster: 'shoot--ml--plain', path: 'out/shoots/garden-ml/plain' },
  ]);
});

test('without Argo CD, the shoot directories carry no sync-wave annotations', () => {
  const dir = synth({}, 'flux:\n  sourceRef: {name: fleet}');
  expect(JSON.stringify(readTree(path.join(dir, 'out')))).not.toContain('sync-wave');
});

test('paths are relative to the root of the Git repository holding the output', () => {
  const repo = tempDir();
  execFileSync('git', ['init', '-q', repo]);
  const dir = writeFiles({ ...GARDEN, 'pipeline.yaml': pipeline('flux:\n  sourceRef: {name: fleet}\nargocd:\n  repoURL: r\n  targetRevision: main', path.join(repo, 'deploy/runtimes')) });
  expect(cli(['synth', '--config', path.join(dir, 'pipeline.yaml')]).status).toBe(0);
  expect(load(path.join(repo, 'deploy/runtimes/flux/garden-dev/alpha.yaml')).spec.path).toBe('./deploy/runtimes/shoots/garden-dev/alpha');
  expect(load(path.join(repo, 'deploy/runtimes/argocd/garden-dev/alpha.yaml')).spec.source.path).toBe('deploy/runtimes/shoots/garden-dev/alpha');
});

test('a shoot that leaves the input takes its Flux and Argo CD objects with it', () => {
  const gitops = 'flux:\n  sourceRef: {name: fleet}\nargocd:\n  repoURL: r\n  targetRevision: main';
  const dir = synth({}, gitops);
  fs.rmSync(path.join(dir, 'garden/b.yaml'));
  expect(cli(['synth', '--config', path.join(dir, 'pipeline.yaml'), '--allow-removal']).status).toBe(0);
  const files = Object.keys(readTree(path.join(dir, 'out')));
  expect(files.filter((f) => f.includes('plain'))).toEqual([]);
  expect(files).toContain('flux/garden-dev/alpha.yaml');
});

test('a gitops section without its required fields is refused with their paths', () => {
  const dir = writeFiles({ ...GARDEN, 'pipeline.yaml': pipeline('flux: {mode: sideways}\nargocd: {repoURL: r}') });
  const result = cli(['synth', '--config', path.join(dir, 'pipeline.yaml')]);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('Pipeline t: spec.gitops.flux.sourceRef: is required');
  expect(result.stderr).toContain('Pipeline t: spec.gitops.flux.mode: must be one of remote, in-cluster');
  expect(result.stderr).toContain('Pipeline t: spec.gitops.argocd.targetRevision: is required');
  expect(fs.existsSync(path.join(dir, 'out'))).toBe(false);
});
