import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { mirrorImage } from '../src';
import { cli } from './support/cli';
import { shoot, writeFiles } from './support/fixtures';

test('a mirror replaces the registry host and keeps repository, tag and digest', () => {
  const m = 'registry.internal:5000/mirror';
  expect(mirrorImage('docker.io/library/busybox:1.36.1', m)).toBe('registry.internal:5000/mirror/library/busybox:1.36.1');
  expect(mirrorImage('quay.io/kata-containers/kata-deploy:3.20.0', m)).toBe('registry.internal:5000/mirror/kata-containers/kata-deploy:3.20.0');
  expect(mirrorImage('busybox:1.36', m)).toBe('registry.internal:5000/mirror/library/busybox:1.36');
  expect(mirrorImage('gardener/x@sha256:' + 'a'.repeat(64), m)).toBe(`registry.internal:5000/mirror/gardener/x@sha256:${'a'.repeat(64)}`);
  expect(mirrorImage('localhost/x:1', m)).toBe('registry.internal:5000/mirror/x:1');
  expect(mirrorImage('quay.io/a/b:1', undefined)).toBe('quay.io/a/b:1');
});

function run(registry: string[]) {
  const dir = writeFiles({
    'garden/a.yaml': shoot('garden-dev', 'alpha', [{ name: 'p', runtimes: [{ type: 'gvisor' }] }]),
    'pipeline.yaml': ['apiVersion: shoot-runtimes.dev/v1alpha1', 'kind: Pipeline', 'metadata: {name: r}', 'spec:', '  sources: [garden]', '  output: {dir: out}', ...registry].join('\n'),
  });
  return { dir, result: cli(['synth', '--config', path.join(dir, 'pipeline.yaml')]) };
}

test('spec.registry: every image comes from the mirror, with the pull secret', () => {
  const { dir, result } = run(['  registry:', '    mirror: registry.internal/mirror', '    pullSecret: regcred']);
  expect(result.status).toBe(0);
  const ds = yaml.load(fs.readFileSync(path.join(dir, 'out/shoots/garden-dev/alpha/daemonset-gvisor-p.yaml'), 'utf8')) as any;
  const pod = ds.spec.template.spec;
  const images = [...pod.initContainers, ...pod.containers].map((c: any) => c.image);
  expect(images.every((i: string) => i.startsWith('registry.internal/mirror/'))).toBe(true);
  expect(images).toContain('registry.internal/mirror/library/busybox:1.36.1');
  expect(pod.imagePullSecrets).toEqual([{ name: 'regcred' }]);
});

test('spec.registry.requireDigests refuses images pinned by tag only, naming each', () => {
  const { result } = run(['  registry:', '    requireDigests: true']);
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/pipeline\.yaml:\d+: Pipeline r: spec\.registry\.requireDigests: the installer image "docker\.io\/library\/busybox:1\.36\.1" is not pinned by a digest/);
  expect(result.stderr).toMatch(/a\.yaml:\d+: Shoot garden-dev\/alpha: spec\.provider\.workers\[0\]\.cri\.containerRuntimes\[0\]\.type: the image ".*runtime-gvisor-installation:v[0-9.]+" of runtime type "gvisor" is not pinned by a digest/);
  const digest = `sha256:${'b'.repeat(64)}`;
  const pinned = run(['  registry:', '    requireDigests: true', `    installerImage: docker.io/library/busybox@${digest}`,
    '  runtimes:', `    gvisor: {image: "europe-docker.pkg.dev/gardener-project/releases/gardener/extensions/runtime-gvisor-installation@${digest}"}`]);
  expect(pinned.result.stderr).toContain('synth: 1 shoots');
  expect(pinned.result.status).toBe(0);
});

test('a malformed registry section is refused with its paths', () => {
  const { result } = run(['  registry:', '    mirror: https://registry.internal', '    pullSecret: Reg_Cred']);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('spec.registry.mirror: must be a registry host');
  expect(result.stderr).toContain('spec.registry.pullSecret: must be a DNS label');
});
