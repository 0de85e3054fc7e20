import * as path from 'path';
import * as yaml from 'js-yaml';
import { InputError, formatDiagnostic, loadPipelineFile, runPipeline } from '../src';
import { tomlValue, tomlValueProblem } from '../src/installer/toml';
import { hostDirectoryProblem, runtimeConfigPathProblem, runtimeFileNameProblem } from '../src/validate/host-paths';
import { parseImageReference, pinnedImageProblem } from '../src/validate/image';
import { installerEnvironmentProblems } from '../src/validate/installer-environment';
import { nodeTargetProblems } from '../src/validate/input';
import { labelValueProblem, qualifiedNameProblem } from '../src/validate/names';
import { checkGenerated } from '../src/validate/output';
import { cli } from './support/cli';
import { shoot, writeFiles } from './support/fixtures';

test('the host directory rule: Gardener\'s path and directories of their own pass, system directories do not', () => {
  for (const ok of ['/var/bin/containerruntimes', '/opt/runtimes', '/var/opt/x', '/run/other', '/home/rt', '/srv/a.b_c-d']) {
    expect([ok, hostDirectoryProblem(ok)]).toEqual([ok, undefined]);
  }
  const refused = [
    '/', '/run', '/var', '/etc', '/etc/containerd', '/etc/x/y', '/usr', '/usr/bin', '/usr/local/bin', '/bin', '/sbin',
    '/lib', '/lib64', '/libx32', '/lib/modules', '/boot', '/proc', '/sys/x', '/dev', '/dev/shm', '/var/lib', '/var/lib/kubelet',
    '/run/shoot-runtimes', '/run/shoot-runtimes/x', '', 'var/bin', '/var/bin/', '//var', '/.', '/var/./bin', '/var/../etc',
    '/var/bin/$(reboot)', '/var/bin x', `/${'a'.repeat(1100)}`,
  ];
  for (const bad of refused) expect([bad, hostDirectoryProblem(bad)]).toEqual([bad, expect.any(String)]);
});

test('the basename rule: runc, containerd, ctr and the runc shims are never installed; other runtimes are', () => {
  for (const ok of ['runsc', 'containerd-shim-runsc-v1', 'crun', 'containerd-shim-kata-v2', 'youki', 'containerd-shim-spin-v2', 'x+y']) {
    expect([ok, runtimeFileNameProblem(ok)]).toEqual([ok, undefined]);
  }
  for (const bad of ['runc', 'containerd', 'ctr', 'containerd-shim', 'containerd-shim-runc-v1', 'containerd-shim-runc-v2', '.hidden', '', 'a b']) {
    expect([bad, runtimeFileNameProblem(bad)]).toEqual([bad, expect.any(String)]);
  }
});

test('a runtime config file lives in /etc/containerd, never as config.toml, in conf.d or hidden', () => {
  expect(runtimeConfigPathProblem('/etc/containerd/runsc.toml')).toBeUndefined();
  expect(runtimeConfigPathProblem('/etc/containerd/crun/config.json')).toBeUndefined();
  for (const bad of ['/etc/containerd/config.toml', '/etc/containerd/conf.d/x.toml', '/etc/containerd/conf.d', '/etc/containerd',
    '/etc/containerd/shoot-runtimes.added-import', '/etc/containerd/.x', '/opt/kata/config.toml', '/var/bin/containerruntimes/x.toml',
    '/etc/containerd/../passwd', 'runsc.toml']) {
    expect([bad, runtimeConfigPathProblem(bad)]).toEqual([bad, expect.any(String)]);
  }
});

test('image references follow the registry grammar; pinned means a tag other than latest, or a digest', () => {
  const digest = `sha256:${'a'.repeat(64)}`;
  expect(parseImageReference(`registry.example.com:5000/a/b_c/d-e:v1.2@${digest}`)).toEqual({ host: 'registry.example.com:5000', path: 'a/b_c/d-e', tag: 'v1.2', digest });
  expect(parseImageReference('busybox:1.36')).toEqual({ path: 'busybox', tag: '1.36' });
  expect(parseImageReference('localhost/x:1')).toEqual({ host: 'localhost', path: 'x', tag: '1' });
  for (const ok of ['busybox:1.36.1', `x@${digest}`, 'quay.io/kata-containers/kata-deploy:3.20.0', '[::1]:5000/x:1']) expect([ok, pinnedImageProblem(ok)]).toEqual([ok, undefined]);
  for (const bad of ['x:1.0 --privileged', 'x@sha256:abc', 'busybox', 'busybox:latest', 'Busybox:1', 'a//b:1', 'x:', ':1', 'x:-1', 'a/-b:1',
    `x@md5:${'a'.repeat(32)}`, 'x:1\n', `${'a'.repeat(256)}:1`]) {
    expect([bad, pinnedImageProblem(bad)]).toEqual([bad, expect.any(String)]);
  }
});

test('label keys and values, taint keys: Kubernetes\' formats', () => {
  for (const ok of ['app', 'example.com/tier', 'worker.gardener.cloud/pool', 'a_b.c-d']) expect(qualifiedNameProblem(ok)).toBeUndefined();
  for (const bad of ['', '/x', 'Example.com/x', 'x/', 'a b', '-x', `${'a'.repeat(64)}`, 'a/b/c']) expect([bad, qualifiedNameProblem(bad)]).toEqual([bad, expect.any(String)]);
  expect(labelValueProblem('')).toBeUndefined();
  expect(labelValueProblem('a'.repeat(63))).toBeUndefined();
  expect(labelValueProblem('a'.repeat(82))).toContain('at most 63');
  expect(labelValueProblem('x!')).toBeDefined();
});

test('TOML values every installer accepts: no NUL, no lone surrogate, integers exact in JavaScript', () => {
  for (const ok of ['plain', 'ü ∑ 😀', 'a"b\\c\n', 0, -5, Number.MAX_SAFE_INTEGER, true]) expect([ok, tomlValueProblem(ok)]).toEqual([ok, undefined]);
  for (const bad of ['a\0b', '\uD800', 'x\uDC00', 1e21, 2 ** 53, -(2 ** 60), 1.5, 'x'.repeat(5000)]) {
    expect([bad, tomlValueProblem(bad)]).toEqual([bad, expect.any(String)]);
  }
  expect(tomlValue(12345)).toBe('12345');
  expect(() => tomlValue(1e21)).toThrow(/beyond/);
  expect(() => tomlValue('a\0')).toThrow(/NUL/);
});

const GOOD_ENV = {
  BINARY_PATH: '/var/bin/containerruntimes', POOL_NAME: 'p', RUNTIME_NAME: 'gvisor', RUNTIME_FILES: 'runsc\ncontainerd-shim-runsc-v1',
  RUNTIME_HANDLERS: 'runsc', RUNTIME_TABLES: '[runsc]\nruntime_type = "io.containerd.runsc.v1"\n',
  RUNTIME_CONFIG_PATH: '/etc/containerd/runsc.toml', RUNTIME_CONFIG_CONTENT: '[runsc_config]\n',
};

test('an installer environment is checked as install.sh checks it, and a record carries no other key', () => {
  expect(installerEnvironmentProblems(GOOD_ENV)).toEqual([]);
  const keys = (env: Record<string, string>, extra?: string[]) => installerEnvironmentProblems(env, extra).map((p) => p.key);
  expect(keys({ ...GOOD_ENV, CONTAINERD_RESTART_COMMAND: 'rm -rf /' })).toEqual(['CONTAINERD_RESTART_COMMAND']);
  expect(keys({ ...GOOD_ENV, KEEP_FILES: 'runsc' }, ['KEEP_FILES'])).toEqual([]);
  expect(keys({ ...GOOD_ENV, KEEP_FILES: 'passwd' }, ['KEEP_FILES'])).toEqual(['KEEP_FILES']);
  expect(keys({ ...GOOD_ENV, BINARY_PATH: '/etc' })).toEqual(['BINARY_PATH']);
  expect(keys({ ...GOOD_ENV, RUNTIME_FILES: 'passwd\nrunc' })).toEqual(['RUNTIME_FILES']);
  expect(keys({ ...GOOD_ENV, RUNTIME_HANDLERS: 'runsc runc' })).toEqual(['RUNTIME_HANDLERS']);
  expect(keys({ ...GOOD_ENV, RUNTIME_HANDLERS: 'runsc runsc' })).toEqual(['RUNTIME_HANDLERS']);
  expect(keys({ ...GOOD_ENV, RUNTIME_CONFIG_PATH: '/etc/containerd/config.toml' })).toEqual(['RUNTIME_CONFIG_PATH']);
  const { RUNTIME_CONFIG_CONTENT: _, ...withoutContent } = GOOD_ENV;
  expect(keys(withoutContent)).toEqual(['RUNTIME_CONFIG_PATH']);
  expect(keys({ ...GOOD_ENV, RUNTIME_NAME: '../x', POOL_NAME: 'P' })).toEqual(['RUNTIME_NAME', 'POOL_NAME']);
});

test('a state record\'s target is checked by the input rules (binaryPath /etc, empty selector, bad taints)', () => {
  const target = {
    name: 'gvisor-p', type: 'gvisor', pool: 'p', binaryPath: '/etc', nodeSelector: {},
    taints: [{ key: 'bad key', value: 'x!', effect: 'Never' as any }],
  };
  expect(nodeTargetProblems(target).map((p) => p.field)).toEqual(['binaryPath', 'nodeSelector', 'taints', 'taints', 'taints']);
  expect(nodeTargetProblems({ ...target, binaryPath: '/var/bin/containerruntimes', nodeSelector: { a: 'b' }, taints: [] })).toEqual([]);
});

/** A rendered shoot whose objects we then break one field at a time, as a bug in a construct would. */
function renderedObjects() {
  const dir = writeFiles({ 'a.yaml': shoot('garden-dev', 'alpha', [{ name: 'p', runtimes: [{ type: 'gvisor' }] }]) });
  const { files } = runPipeline({ inputs: [dir] });
  return files.filter((f) => f.path.endsWith('.yaml') && !f.path.endsWith('kustomization.yaml')).map((f) => ({ path: f.path, object: yaml.load(f.content) as any }));
}

test('the output check refuses invalid Kubernetes values and unsafe mounts, naming file, object and field', () => {
  const objects = renderedObjects();
  expect(checkGenerated(objects)).toEqual([]);
  const ds = () => JSON.parse(JSON.stringify(objects.find((o) => o.object.kind === 'DaemonSet')!));
  const rc = () => JSON.parse(JSON.stringify(objects.find((o) => o.object.kind === 'RuntimeClass')!));
  const broken: [string, any, RegExp][] = [];
  const add = (label: string, file: any, change: (o: any) => void, expected: RegExp) => { change(file.object); broken.push([label, file, expected]); };
  add('name', ds(), (o) => { o.metadata.name = 'Evil_Name With Spaces'; }, /DaemonSet .*: metadata\.name: "Evil_Name With Spaces" must be a DNS subdomain/);
  add('namespace', ds(), (o) => { o.metadata.namespace = 'Not A Namespace!'; }, /metadata\.namespace: "Not A Namespace!" must be a DNS label/);
  add('label value', ds(), (o) => { o.metadata.labels.x = 'v'.repeat(82); }, /metadata\.labels: label "x": value/);
  add('label key', rc(), (o) => { o.scheduling.nodeSelector['bad key'] = 'x'; }, /RuntimeClass .*: scheduling\.nodeSelector: label key "bad key"/);
  add('toleration key', rc(), (o) => { o.scheduling.tolerations = [{ key: 'no good', operator: 'Exists' }]; }, /scheduling\.tolerations\[0\]\.key/);
  add('image', ds(), (o) => { o.spec.template.spec.initContainers[0].image = 'x:1.0 --privileged'; }, /container fetch: image "x:1\.0 --privileged" is not a valid image reference/);
  add('digest', ds(), (o) => { o.spec.template.spec.initContainers[0].image = 'x@sha256:abc'; }, /malformed digest/);
  add('host path', ds(), (o) => { o.spec.template.spec.volumes.find((v: any) => v.name === 'host-binary-path').hostPath.path = '/etc'; }, /volumes\[\d\]\.hostPath\.path: "\/etc" is \/etc/);
  add('root', ds(), (o) => { o.spec.template.spec.volumes.find((v: any) => v.name === 'host-binary-path').hostPath.path = '/.'; }, /hostPath\.path: "\/\."/);
  add('two mounts', ds(), (o) => {
    const pod = o.spec.template.spec;
    pod.volumes.find((v: any) => v.name === 'host-binary-path').hostPath.path = '/etc/containerd';
    pod.initContainers[1].volumeMounts.find((m: any) => m.name === 'host-binary-path').mountPath = '/host/etc/containerd';
  }, /mountPath: "\/host\/etc\/containerd" is mounted twice/);
  add('installer env', ds(), (o) => {
    o.spec.template.spec.initContainers[1].env.push({ name: 'CONTAINERD_RESTART_COMMAND', value: 'rm /etc/passwd' });
  }, /initContainers\[1\]\.env\.CONTAINERD_RESTART_COMMAND: the installer would refuse it/);
  add('secret', ds(), (o) => { o.spec.template.spec.imagePullSecrets = [{ name: '..' }]; }, /imagePullSecrets\[0\]\.name: "\.\." must be a DNS subdomain/);
  for (const [label, file, expected] of broken) {
    const violations = checkGenerated([file]);
    expect([label, violations.join('\n')]).toEqual([label, expect.stringMatching(expected)]);
    expect(violations.every((v) => v.startsWith(`${file.path}: ${file.object.kind}`))).toBe(true);
  }
});

test('the output check refuses Go-template text in an ApplicationSet\'s template, and bad secret names in a Kustomization', () => {
  const appSet = {
    path: 'argocd/applicationset.yaml',
    object: {
      apiVersion: 'argoproj.io/v1alpha1', kind: 'ApplicationSet', metadata: { name: 'shoot-runtimes', namespace: 'argocd' },
      spec: {
        goTemplate: true,
        generators: [{ list: { elements: [{ name: 'a', cluster: 'c', path: 'p' }] } }],
        template: {
          metadata: { name: '{{.name}}' },
          spec: {
            project: 'default',
            source: { repoURL: 'https://git.example.com/{{.Values.x}}', targetRevision: 'main', path: '{{.path}}' },
            destination: { name: '{{.cluster}}', namespace: 'kube-system' },
          },
        },
      },
    },
  };
  expect(checkGenerated([appSet])).toEqual([
    'argocd/applicationset.yaml: ApplicationSet "argocd/shoot-runtimes": spec.template.spec.source.repoURL: "https://git.example.com/{{.Values.x}}" holds Go-template text ({{ or }}), which the ApplicationSet controller would evaluate',
  ]);
  const kustomization = {
    path: 'flux/garden-dev/alpha.yaml',
    object: {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization', metadata: { name: 'x', namespace: 'garden-dev' },
      spec: { interval: '10m', prune: true, path: './x', sourceRef: { kind: 'GitRepository', name: 'runtimes' }, kubeConfig: { secretRef: { name: '..' } } },
    },
  };
  expect(checkGenerated([kustomization])).toEqual([
    'flux/garden-dev/alpha.yaml: Kustomization "garden-dev/x": spec.kubeConfig.secretRef.name: ".." must be a DNS subdomain (DNS labels joined by \'.\', at most 253 characters)',
  ]);
});

function pipeline(lines: string[]): string {
  const dir = writeFiles({
    'garden/a.yaml': shoot('garden-dev', 'alpha', [{ name: 'p', runtimes: [{ type: 'gvisor' }] }]),
    'pipeline.yaml': ['apiVersion: shoot-runtimes.dev/v1alpha1', 'kind: Pipeline', 'metadata: {name: r}', 'spec:', '  sources: [garden]', '  output: {dir: out}', ...lines, ''].join('\n'),
  });
  return path.join(dir, 'pipeline.yaml');
}

function problemsOf(file: string): string[] {
  try {
    const p = loadPipelineFile(file);
    runPipeline({ inputs: p.sources, runtimes: p.runtimes, registry: p.registry });
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return error.diagnostics.map((d) => formatDiagnostic(d).replace(`${file}:`, 'pipeline.yaml:'));
  }
  return [];
}

test('numbers no installer could write exactly (1e21, beyond 2^53) are refused where the pipeline file is read', () => {
  const file = pipeline([
    '  runtimes:',
    '    gvisor:',
    '      classes:',
    '        - {name: gvisor, handler: runsc, runtimeType: io.containerd.runsc.v1, options: {Big: 1e21, Huge: 9007199254740993}}',
  ]);
  expect(problemsOf(file)).toEqual([
    expect.stringMatching(/^pipeline\.yaml:10: the number 1e21 cannot be read exactly/),
    expect.stringMatching(/^pipeline\.yaml:10: the number 9007199254740993 cannot be read exactly/),
  ]);
});

test('spec.runtimes refuses what an installer would refuse, at its line in the pipeline file', () => {
  const file = pipeline([
    '  runtimes:',
    '    crun:',
    '      image: registry.example.com/crun:1.19',
    '      files: [/usr/bin/crun, /usr/bin/runc, /bin/containerd-shim-runc-v2]',
    '      architectures: [amd64]',
    '      config: {path: /etc/containerd/config.toml, format: runsc-flags}',
    '      classes:',
    '        - {name: crun, handler: runc, runtimeType: io.containerd.runc.v2, options: {Nul: "a\\0b"}}',
    '        - {name: crun, handler: crun, runtimeType: io.containerd.runc.v2}',
    '        - {name: other, handler: crun, runtimeType: io.containerd.runc.v2}',
  ]);
  const problems = problemsOf(file);
  const expected = [
    /^pipeline\.yaml:10: Pipeline r: spec\.runtimes\.crun\.files\[1\]: file name "runc" would replace containerd's own binary/,
    /^pipeline\.yaml:10: Pipeline r: spec\.runtimes\.crun\.files\[2\]: file name "containerd-shim-runc-v2" would replace/,
    /^pipeline\.yaml:12: Pipeline r: spec\.runtimes\.crun\.config\.path: "\/etc\/containerd\/config\.toml" is containerd's own config\.toml/,
    /^pipeline\.yaml:14: Pipeline r: spec\.runtimes\.crun\.classes\[0\]\.handler: "runc" is the node's default runtime/,
    /^pipeline\.yaml:14: Pipeline r: spec\.runtimes\.crun\.classes\[0\]\.options\.Nul: contains a NUL character/,
    /^pipeline\.yaml:15: Pipeline r: spec\.runtimes\.crun\.classes\[1\]\.name: another class is named "crun"/,
    /^pipeline\.yaml:16: Pipeline r: spec\.runtimes\.crun\.classes\[2\]\.handler: another class uses handler "crun"/,
  ];
  for (const e of expected) expect(problems).toContainEqual(expect.stringMatching(e));
});

test('config.path inside conf.d or outside /etc/containerd is refused', () => {
  const at = (p: string) => problemsOf(pipeline(['  runtimes:', '    gvisor:', `      config: {path: ${p}, format: runsc-flags}`]));
  expect(at('/etc/containerd/conf.d/gvisor.toml')).toEqual([expect.stringMatching(/^pipeline\.yaml:9: Pipeline r: spec\.runtimes\.gvisor\.config\.path: .* inside the drop-in directory/)]);
  expect(at('/var/bin/containerruntimes/runsc.toml')).toEqual([expect.stringMatching(/config\.path: .* must be a file inside \/etc\/containerd/)]);
  expect(at('/etc/containerd/gvisor/runsc.toml')).toEqual([]);
});

test('an unpinned or malformed installerImage is the user\'s mistake, reported at the pipeline file', () => {
  for (const image of ['busybox', 'busybox:latest', 'x:1.0 --privileged']) {
    const file = pipeline(['  registry:', `    installerImage: "${image}"`]);
    const result = cli(['validate', '--config', file]);
    expect(result.status).toBe(1);
    expect(result.stderr).not.toContain('bug');
    expect(result.stderr.replace(`${file}:`, 'pipeline.yaml:')).toMatch(/^pipeline\.yaml:8: Pipeline r: spec\.registry\.installerImage: image ".*" (must be pinned|is not a valid image reference)/m);
  }
});

test('two runtimes on one pool may not claim the same handler', () => {
  const file = pipeline([
    '  runtimes:',
    '    crun2:',
    '      image: registry.example.com/crun:1.19',
    '      files: [/usr/bin/crun2]',
    '      architectures: [amd64]',
    '      classes: [{name: crun2, handler: runsc, runtimeType: io.containerd.runc.v2}]',
    '  assignments:',
    '    - {shoots: {names: [garden-dev/alpha]}, pool: p, type: crun2}',
  ]);
  const p = loadPipelineFile(file);
  expect(() => runPipeline({ inputs: p.sources, runtimes: p.runtimes, assignments: p.assignments })).toThrow(/the containerd handler "runsc" on pool "p" is also claimed by runtime "(gvisor|crun2)"/);
});

test('spec.gitops values that would make invalid objects are input errors at the pipeline file, per shoot where placeholders fill them', () => {
  const file = pipeline([
    '  gitops:',
    '    flux:',
    '      sourceRef: {name: "Not A Source", namespace: "Not A Namespace!"}',
    '      kubeConfigSecret: ".."',
    '      namespace: "{namespace}-flux-system-with-a-long-suffix-abcdefghijklmnopqrstuv"',
    '    argocd:',
    '      repoURL: "https://git.example.com/{{.Values.repo}}"',
    '      targetRevision: main',
    '      project: "Bad Project"',
    '      applicationSet: true',
  ]);
  const loaded = () => {
    try { return { pipeline: loadPipelineFile(file), problems: [] }; } catch (e) { return { problems: (e as InputError).diagnostics.map((d) => formatDiagnostic(d).replace(`${file}:`, 'pipeline.yaml:')) }; }
  };
  expect(loaded().problems).toEqual([
    expect.stringMatching(/^pipeline\.yaml:9: Pipeline r: spec\.gitops\.flux\.sourceRef\.name: "Not A Source" must be a DNS subdomain/),
    expect.stringMatching(/^pipeline\.yaml:9: Pipeline r: spec\.gitops\.flux\.sourceRef\.namespace: "Not A Namespace!" must be a DNS label/),
    expect.stringMatching(/^pipeline\.yaml:13: Pipeline r: spec\.gitops\.argocd\.repoURL: .* holds Go-template text/),
    expect.stringMatching(/^pipeline\.yaml:15: Pipeline r: spec\.gitops\.argocd\.project: "Bad Project" must be a DNS subdomain/),
  ]);
  const perShoot = pipeline([
    '  gitops:',
    '    flux:',
    '      sourceRef: {name: runtimes}',
    '      kubeConfigSecret: "{shoot}..kubeconfig"',
    '      namespace: "{namespace}-flux-system-with-a-long-suffix-abcdefghijklmnopqrstuv"',
  ]);
  const result = cli(['synth', '--config', perShoot]);
  expect(result.status).toBe(1);
  expect(result.stderr).not.toContain('bug');
  const lines = result.stderr.split('\n').map((l) => l.replace(`${perShoot}:`, 'pipeline.yaml:'));
  expect(lines).toContainEqual(expect.stringMatching(/^pipeline\.yaml:11: Pipeline r: spec\.gitops\.flux\.namespace: for shoot garden-dev\/alpha: "garden-dev-flux-system-with-a-long-suffix-abcdefghijklmnopqrstuv" must be a DNS label/));
  expect(lines).toContainEqual(expect.stringMatching(/^pipeline\.yaml:10: Pipeline r: spec\.gitops\.flux\.kubeConfigSecret: for shoot garden-dev\/alpha: "alpha\.\.kubeconfig" must be a DNS subdomain/));
});

test('a mirror that makes image references invalid is reported once, at spec.registry.mirror', () => {
  const file = pipeline(['  registry:', '    mirror: registry.internal/_bad']);
  const problems = problemsOf(file);
  expect(problems).toEqual([
    expect.stringMatching(/^pipeline\.yaml:8: Pipeline r: spec\.registry\.mirror: image "registry\.internal\/_bad\/library\/busybox:1\.36\.1" is not a valid image reference: it has a malformed repository path/),
    expect.stringMatching(/^pipeline\.yaml:8: Pipeline r: spec\.registry\.mirror: runtime type "gvisor": image "registry\.internal\/_bad\/.*" is not a valid image reference/),
  ]);
});

test('the rendered installer environment is checked before anything is written: an option too long once ${binaryPath} is filled in', () => {
  const long = `\${binaryPath}/${'x'.repeat(4096 - '${binaryPath}/'.length)}`;
  const file = pipeline([
    '  runtimes:',
    '    crun:',
    '      image: registry.example.com/crun:1.19',
    '      files: [/usr/bin/crun]',
    '      architectures: [amd64]',
    `      classes: [{name: crun, handler: crun, runtimeType: io.containerd.runc.v2, options: {BinaryName: "${long}"}}]`,
    '  assignments:',
    '    - {shoots: {names: [garden-dev/alpha]}, pool: p, type: crun}',
  ]);
  const p = loadPipelineFile(file);
  expect(() => runPipeline({ inputs: p.sources, runtimes: p.runtimes, assignments: p.assignments }))
    .toThrow(/pipeline\.yaml:\d+: Pipeline r: spec\.assignments\[0\]\.type: runtime type "crun": its installer would refuse RUNTIME_TABLES: runtime option value .* is longer than 4096 characters/);
});
