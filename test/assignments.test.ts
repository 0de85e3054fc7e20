import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { cli } from './support/cli';
import { readTree, writeFiles } from './support/fixtures';

const SHOOT = yaml.dump({
  apiVersion: 'core.gardener.cloud/v1beta1',
  kind: 'Shoot',
  metadata: { name: 'alpha', namespace: 'garden-dev', labels: { tier: 'edge' } },
  spec: {
    provider: {
      type: 'gcp',
      workers: [
        { name: 'plain', machine: { type: 'n2' } },
        { name: 'marked', machine: { type: 'n2' }, labels: { 'containerruntime.worker.gardener.cloud/crun': 'true' }, taints: [{ key: 'd', value: 'x', effect: 'NoSchedule' }] },
      ],
    },
  },
});

const RUNTIMES = [
  '  runtimes:',
  '    crun: {image: "registry.example.com/crun:1.19", files: [/usr/bin/crun], architectures: [amd64], classes: [{name: crun, handler: crun, runtimeType: io.containerd.runc.v2, options: {BinaryName: "${binaryPath}/crun"}}]}',
];

function setup(assignments: string[]) {
  const dir = writeFiles({
    'garden/alpha.yaml': SHOOT,
    'pipeline.yaml': ['apiVersion: shoot-runtimes.dev/v1alpha1', 'kind: Pipeline', 'metadata: {name: a}', 'spec:', '  sources: [garden]', '  output: {dir: out}', ...RUNTIMES, '  assignments:', ...assignments].join('\n'),
  });
  return { dir, config: path.join(dir, 'pipeline.yaml') };
}

test('an assignment declares a runtime for a pool; the shoot-wide class needs the pool to carry the runtime label', () => {
  const { dir, config } = setup([
    '    - {shoots: {names: [garden-dev/alpha]}, pool: plain, type: crun}',
  ]);
  expect(cli(['synth', '--config', config]).status).toBe(0);
  const files = Object.keys(readTree(path.join(dir, 'out/shoots/garden-dev/alpha')));
  expect(files).toContain('daemonset-crun-plain.yaml');
  // An assigned runtime's installer gates new nodes like a declared one's.
  const ds = yaml.load(fs.readFileSync(path.join(dir, 'out/shoots/garden-dev/alpha/daemonset-crun-plain.yaml'), 'utf8')) as any;
  expect(ds.metadata.labels['node.gardener.cloud/critical-component']).toBe('true');
  expect(ds.spec.template.metadata.labels['node.gardener.cloud/critical-component']).toBe('true');
  expect(ds.spec.template.spec.tolerations).toContainEqual({ key: 'node.gardener.cloud/critical-components-not-ready', operator: 'Exists', effect: 'NoSchedule' });
  expect(files).toContain('runtimeclass-crun-plain.yaml');
  expect(files).not.toContain('runtimeclass-crun.yaml');
  const plan = JSON.parse(cli(['plan', '--config', config, '--format', 'json']).stdout);
  expect(plan[0]).toEqual(expect.objectContaining({
    pool: 'plain', runtime: 'crun', shootClasses: [],
    notes: ['add worker label containerruntime.worker.gardener.cloud/crun: "true" to pool plain for the shoot-wide class crun'],
  }));
});

test('a pool that carries the label gets the shoot-wide class too; shoots can be chosen by their labels', () => {
  const { dir, config } = setup([
    '    - shoots: {selector: {matchLabels: {tier: edge}}}',
    '      pool: marked',
    '      type: crun',
  ]);
  expect(cli(['synth', '--config', config]).status).toBe(0);
  const shootDir = path.join(dir, 'out/shoots/garden-dev/alpha');
  const wide = yaml.load(fs.readFileSync(path.join(shootDir, 'runtimeclass-crun.yaml'), 'utf8')) as any;
  expect(wide.scheduling.nodeSelector).toEqual({ 'containerruntime.worker.gardener.cloud/crun': 'true' });
  const perPool = yaml.load(fs.readFileSync(path.join(shootDir, 'runtimeclass-crun-marked.yaml'), 'utf8')) as any;
  expect(perPool.scheduling.tolerations).toEqual([{ key: 'd', operator: 'Equal', value: 'x', effect: 'NoSchedule' }]);
});

test('bad assignments are refused at their lines in the pipeline file', () => {
  const { config } = setup([
    '    - {shoots: {names: [garden-dev/alpha]}, pool: missing, type: crun}',
    '    - {shoots: {names: [garden-dev/nope]}, pool: plain, type: crun}',
    '    - {shoots: {names: [garden-dev/alpha]}, pool: plain, type: rocket}',
  ]);
  const result = cli(['validate', '--config', config]);
  expect(result.status).toBe(1);
  const lines = result.stderr.split('\n').map((l) => l.replace(`${config}:`, 'pipeline.yaml:'));
  expect(lines).toEqual(expect.arrayContaining([
    'pipeline.yaml:10: Pipeline a: spec.assignments[0].pool: shoot garden-dev/alpha has no worker pool "missing"',
    'pipeline.yaml:11: Pipeline a: spec.assignments[1].shoots.names: no Shoot garden-dev/nope in the inputs',
    expect.stringMatching(/^pipeline\.yaml:12: Pipeline a: spec\.assignments\[2\]\.type: unknown runtime type "rocket"/),
  ]));
  const both = setup(['    - {shoots: {names: [garden-dev/alpha], selector: {matchLabels: {a: b}}}, pool: plain, type: crun}']);
  expect(cli(['validate', '--config', both.config]).stderr).toContain(
    'pipeline.yaml:10: Pipeline a: spec.assignments[0].shoots: must give names or selector, not both',
  );
});
