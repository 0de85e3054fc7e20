import * as fs from 'fs';
import * as path from 'path';
import { installerFiles, installerVersion } from '../src';
import { ROOT, cli } from './support/cli';
import { readTree, shoot, tempDir, withoutFingerprints, writeFiles } from './support/fixtures';

const VERSION = installerVersion(installerFiles());

test('synth --input --out writes every shoot directory and prints one summary line', () => {
  const input = writeFiles({
    'garden/a.yaml': shoot('garden-dev', 'alpha', [{ name: 'sandbox', runtimes: [{ type: 'gvisor' }] }]),
    'garden/b.yml': shoot('garden-ml', 'beta', [{ name: 'default' }]),
    'notes.txt': 'not yaml, not read',
  });
  const out = tempDir();
  const result = cli(['synth', '--input', path.join(input, 'garden'), '--out', out]);
  expect(result.stderr).toBe('synth: 2 shoots, 1 pools, 1 runtimes; 9 files written, 0 unchanged, 0 removed; 0 documents skipped\n');
  expect(result.status).toBe(0);
  expect(Object.keys(readTree(out)).sort()).toEqual([
    '.shoot-runtimes/fingerprints.json',
    '.shoot-runtimes/installed/garden-dev/alpha.json',
    '.shoot-runtimes/owned.json',
    `installer/${VERSION}/configmap-shoot-runtimes-installer-${VERSION}.yaml`,
    `installer/${VERSION}/kustomization.yaml`,
    'shoots/garden-dev/alpha/daemonset-gvisor-sandbox.yaml',
    'shoots/garden-dev/alpha/kustomization.yaml',
    'shoots/garden-dev/alpha/runtimeclass-gvisor-sandbox.yaml',
    'shoots/garden-dev/alpha/runtimeclass-gvisor.yaml',
    'shoots/garden-dev/alpha/serviceaccount-shoot-runtimes-installer.yaml',
    'shoots/garden-ml/beta/kustomization.yaml',
  ]);

  const again = cli(['synth', '--input', path.join(input, 'garden'), '--out', out]);
  expect(again.stderr).toContain('0 files written, 9 unchanged');
});

test('repeated --input flags are all read', () => {
  const a = writeFiles({ 'a.yaml': shoot('garden-dev', 'alpha', [{ name: 'p', runtimes: [{ type: 'gvisor' }] }]) });
  const b = writeFiles({ 'b.yaml': shoot('garden-dev', 'beta', [{ name: 'p', runtimes: [{ type: 'gvisor' }] }]) });
  const out = tempDir();
  expect(cli(['synth', '--input', a, '--input', path.join(b, 'b.yaml'), '--out', out]).status).toBe(0);
  expect(fs.readdirSync(path.join(out, 'shoots', 'garden-dev')).sort()).toEqual(['alpha', 'beta']);
});

test('the pipeline file gives sources, output and runtimes relative to itself; flags win over it', () => {
  const dir = writeFiles({
    'garden/a.yaml': shoot('garden-dev', 'alpha', [{ name: 'p', runtimes: [{ type: 'crun' }] }]),
    'pipeline.yaml': [
      'apiVersion: shoot-runtimes.dev/v1alpha1',
      'kind: Pipeline',
      'metadata: {name: test}',
      'spec:',
      '  sources: [garden]',
      '  output: {dir: out}',
      '  runtimes:',
      '    crun:',
      '      image: ghcr.io/example/crun-installer:1.19',
      '      files: [/bin/crun]',
      '      architectures: [amd64, arm64]',
      '      classes:',
      '        - {name: crun, handler: crun, runtimeType: io.containerd.runc.v2, options: {BinaryName: "${binaryPath}/crun"}}',
      '    gvisor:',
      '      image: registry.internal/gvisor-installation:v0.24.0',
    ].join('\n'),
  });
  const result = cli(['synth', '--config', path.join(dir, 'pipeline.yaml')]);
  expect(result.stderr).toContain('synth: 1 shoots');
  expect(result.status).toBe(0);
  const ds = fs.readFileSync(path.join(dir, 'out/shoots/garden-dev/alpha/daemonset-crun-p.yaml'), 'utf8');
  expect(ds).toContain('BinaryName = "/var/bin/containerruntimes/crun"');
  expect(ds).toContain('image: ghcr.io/example/crun-installer:1.19');

  const elsewhere = tempDir();
  expect(cli(['synth', '--config', path.join(dir, 'pipeline.yaml'), '--out', elsewhere]).status).toBe(0);
  expect(fs.existsSync(path.join(elsewhere, 'shoots/garden-dev/alpha/runtimeclass-crun-p.yaml'))).toBe(true);
});

test('invalid input exits 1 with positioned messages, no stack trace, and writes nothing', () => {
  const input = writeFiles({ 'bad.yaml': shoot('garden-dev', 'x', [{ name: 'p', runtimes: [{ type: 'rocket' }] }]) });
  const out = path.join(tempDir(), 'out');
  const result = cli(['synth', '--input', input, '--out', out]);
  expect(result.status).toBe(1);
  expect(result.stderr).toBe(
    `${path.join(input, 'bad.yaml')}:16: Shoot garden-dev/x: spec.provider.workers[0].cri.containerRuntimes[0].type: unknown runtime type "rocket" (known: gvisor, kata, kata-containers, kata-fc, kata-firecracker, spin, wasm-spin)\n`
    + 'error: 1 problem(s) in the input; nothing was written\n',
  );
  expect(fs.existsSync(out)).toBe(false);
});

test('usage errors exit 2 without a stack trace', () => {
  for (const args of [['synth'], ['synth', '--bogus'], ['explode'], []]) {
    const result = cli(args);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/error: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }
});

test('the committed dist/ is exactly what the embedded example renders', () => {
  const out = tempDir();
  expect(cli(['synth', '--config', path.join(ROOT, 'examples/pipeline.yaml'), '--out', out]).status).toBe(0);
  expect(withoutFingerprints(readTree(path.join(ROOT, 'dist')))).toEqual(withoutFingerprints(readTree(out)));
});
