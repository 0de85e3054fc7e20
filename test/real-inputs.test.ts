/**
 * Real manifests from Gardener and its extensions (test/fixtures/real, see SOURCES.md there), each
 * through the CLI's validate, plan and synth, and every rendered shoot directory through
 * `kubectl kustomize`.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { installerFiles, installerVersion } from '../src';
import { cli } from './support/cli';
import { tempDir } from './support/fixtures';

/** The installer's ConfigMap, which each shoot's kustomization pulls in from installer/<version>/. */
const INSTALLER_CONFIGMAP = `ConfigMap/shoot-runtimes-installer-${installerVersion(installerFiles())}`;

const REAL = path.join(__dirname, 'fixtures', 'real');

const FRAGMENT = (end: number) => `not part of any document: a "..." line (line ${end}) ends a YAML document and no "---" starts a new one;`
  + ' if "..." stands for fields left out, this is a fragment: complete the manifest and remove the "..." lines';

/** What each input yields: the problems validate prints, or the plan rows and the kinds each shoot directory builds to. */
const EXPECTED: Record<string, { problems: string[] } | { summary: string; plan: string[]; objects: Record<string, string[]> }> = {
  'verbatim/runtime-gvisor-example-shoot.yaml': {
    problems: [`verbatim/runtime-gvisor-example-shoot.yaml:8: ${FRAGMENT(7)}`, `verbatim/runtime-gvisor-example-shoot.yaml:12: ${FRAGMENT(11)}`],
  },
  'verbatim/runtime-kata-example-shoot.yaml': {
    problems: [`verbatim/runtime-kata-example-shoot.yaml:8: ${FRAGMENT(7)}`, `verbatim/runtime-kata-example-shoot.yaml:14: ${FRAGMENT(13)}`],
  },
  'verbatim/gardener-docs-containerruntime.yaml': {
    problems: ['verbatim/gardener-docs-containerruntime.yaml:4: ContainerRuntime ?/my-container-runtime: metadata.namespace: must be a shoot namespace of the seed, shoot--<project>--<shoot>'],
  },
  'verbatim/gardener-example-90-shoot.yaml': { summary: '1 shoots, 0 pools, 0 runtimes', plan: ['garden-dev/crazy-botany - - ->  [] -'], objects: { 'garden-dev/crazy-botany': [] } },
  'verbatim/gardener-provider-local-shoot.yaml': { summary: '1 shoots, 0 pools, 0 runtimes', plan: ['garden-local/local - - ->  [] -'], objects: { 'garden-local/local': [] } },
  'verbatim/gardener-provider-local-shoot-workerless.yaml': { summary: '1 shoots, 0 pools, 0 runtimes', plan: ['garden-local/local-wl - - ->  [] -'], objects: { 'garden-local/local-wl': [] } },
  'verbatim/gardener-testdata-containerruntime.yaml': {
    summary: '1 shoots, 1 pools, 1 runtimes',
    plan: ['garden-foo/bar worker-cpu gvisor -> gvisor-worker-cpu [gvisor] kube-system/foo'],
    objects: { 'garden-foo/bar': [INSTALLER_CONFIGMAP, 'DaemonSet/foo', 'RuntimeClass/gvisor', 'RuntimeClass/gvisor-worker-cpu', 'ServiceAccount/shoot-runtimes-installer'] },
  },
  'edited/runtime-gvisor-example-shoot.yaml': {
    summary: '1 shoots, 1 pools, 1 runtimes',
    plan: ['garden-local/gvisor-shoot worker-xyz gvisor -> gvisor-worker-xyz [gvisor] kube-system/gvisor-worker-xyz'],
    objects: {
      'garden-local/gvisor-shoot': [INSTALLER_CONFIGMAP, 'DaemonSet/gvisor-worker-xyz', 'RuntimeClass/gvisor', 'RuntimeClass/gvisor-worker-xyz', 'ServiceAccount/shoot-runtimes-installer'],
    },
  },
  'edited/runtime-kata-example-shoot.yaml': {
    summary: '1 shoots, 1 pools, 1 runtimes',
    plan: ['garden-local/kata-shoot worker-kata kata -> kata-qemu-worker-kata,kata-clh-worker-kata [kata-qemu,kata-clh] kube-system/kata-worker-kata'],
    objects: {
      'garden-local/kata-shoot': [
        INSTALLER_CONFIGMAP, 'DaemonSet/kata-worker-kata', 'RuntimeClass/kata-clh', 'RuntimeClass/kata-clh-worker-kata',
        'RuntimeClass/kata-qemu', 'RuntimeClass/kata-qemu-worker-kata', 'ServiceAccount/shoot-runtimes-installer',
      ],
    },
  },
  'edited/gardener-example-90-shoot.yaml': {
    summary: '1 shoots, 1 pools, 1 runtimes',
    plan: ['garden-dev/crazy-botany cpu-worker gvisor -> gvisor-cpu-worker [gvisor] kube-system/gvisor-cpu-worker'],
    objects: {
      'garden-dev/crazy-botany': [INSTALLER_CONFIGMAP, 'DaemonSet/gvisor-cpu-worker', 'RuntimeClass/gvisor', 'RuntimeClass/gvisor-cpu-worker', 'ServiceAccount/shoot-runtimes-installer'],
    },
  },
};

const run = (args: string[]) => cli(args, { cwd: REAL });

test('every fixture has an expected outcome and a line in SOURCES.md', () => {
  const sources = fs.readFileSync(path.join(REAL, 'SOURCES.md'), 'utf8');
  const files = ['verbatim', 'edited'].flatMap((d) => fs.readdirSync(path.join(REAL, d)).map((f) => `${d}/${f}`)).sort();
  expect(Object.keys(EXPECTED).sort()).toEqual(files);
  for (const f of files) expect(sources).toContain(`| \`${path.basename(f)}\` |`);
});

describe.each(Object.entries(EXPECTED))('%s', (input, expected) => {
  if ('problems' in expected) {
    test('validate, plan and synth refuse it with its problems at file:line, and write nothing', () => {
      const out = path.join(tempDir(), 'out');
      for (const command of [['validate'], ['plan'], ['synth', '--out', out]]) {
        const result = run([...command, '--input', input]);
        expect(result.status).toBe(1);
        expect(result.stderr).toBe(`${expected.problems.join('\n')}\nerror: ${expected.problems.length} problem(s) in the input; nothing was written\n`);
      }
      expect(fs.existsSync(out)).toBe(false);
    });
    return;
  }

  test('validate accepts it, plan shows its runtimes', () => {
    const validated = run(['validate', '--input', input]);
    expect(validated.status).toBe(0);
    expect(validated.stderr).toBe(`validate: ${expected.summary} are valid\n`);
    const planned = run(['plan', '--input', input, '--format', 'json']);
    expect(planned.status).toBe(0);
    const rows = (JSON.parse(planned.stdout) as { shoot: string; pool: string | null; runtime: string | null; classes: string[]; shootClasses: string[]; installer: string | null }[])
      .map((r) => `${r.shoot} ${r.pool ?? '-'} ${r.runtime ?? '-'} -> ${r.classes.join(',')} [${r.shootClasses.join(',')}] ${r.installer ?? '-'}`);
    expect(rows).toEqual(expected.plan);
  });

  test('synth renders it, and kubectl kustomize builds every shoot directory', () => {
    const out = path.join(tempDir(), 'out');
    const synthesized = run(['synth', '--input', input, '--out', out]);
    expect(synthesized.status).toBe(0);
    for (const [shoot, objects] of Object.entries(expected.objects)) {
      const built = execFileSync('kubectl', ['kustomize', path.join(out, 'shoots', shoot)], { encoding: 'utf8' });
      const kinds = yaml.loadAll(built).filter((o): o is { kind: string; metadata: { name: string } } => o !== null)
        .map((o) => `${o.kind}/${o.metadata.name}`).sort();
      expect(kinds).toEqual(objects);
    }
  });
});
