import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { InputError, formatDiagnostic, runPipeline } from '../src';
import { cli } from './support/cli';
import { containerRuntimeObject, shoot, tempDir, writeFiles } from './support/fixtures';

/** The rendered files of the inputs under `dir`, or the diagnostics that refused them. */
function outcome(inputs: string[]): { files?: Record<string, string>; problems?: string[] } {
  try {
    return { files: Object.fromEntries(runPipeline({ inputs }).files.map((f) => [f.path, f.content])) };
  } catch (error) {
    if (!(error instanceof InputError)) throw error;
    return { problems: error.diagnostics.map(formatDiagnostic) };
  }
}

const ALPHA = shoot('garden-dev', 'alpha', [{ name: 'sandbox', runtimes: [{ type: 'gvisor' }] }]);
const BETA = shoot('garden-ml', 'beta', [{ name: 'gpu', runtimes: [{ type: 'kata' }], taints: [{ key: 'gpu', effect: 'NoSchedule' }] }]);
const asObject = (text: string) => yaml.load(text) as Record<string, unknown>;
const withoutType = ({ apiVersion, kind, ...rest }: Record<string, unknown>) => rest;

describe('exports as people make them', () => {
  const expected = outcome([writeFiles({ 'a.yaml': ALPHA, 'b.yaml': BETA })]).files!;

  test('kubectl get shoots -A -o yaml (a v1 List) renders like the Shoots one by one', () => {
    const list = yaml.dump({ apiVersion: 'v1', kind: 'List', metadata: { resourceVersion: '' }, items: [asObject(ALPHA), asObject(BETA)] });
    expect(outcome([writeFiles({ 'export.yaml': list })]).files).toEqual(expected);
  });

  test('the API\'s ShootList in JSON, whose items leave out apiVersion and kind, is read from a *.json file of a directory', () => {
    const list = JSON.stringify({
      apiVersion: 'core.gardener.cloud/v1beta1', kind: 'ShootList', metadata: {}, items: [withoutType(asObject(ALPHA)), withoutType(asObject(BETA))],
    }, null, 2);
    expect(outcome([writeFiles({ 'export.json': list })]).files).toEqual(expected);
  });

  test('a ContainerRuntimeList from the seed renders like its objects one by one', () => {
    const objects = [containerRuntimeObject('dev', 'alpha', 'gvisor', 'sandbox'), containerRuntimeObject('ml', 'beta', 'kata', 'gpu')];
    const list = yaml.dump({ apiVersion: 'extensions.gardener.cloud/v1alpha1', kind: 'ContainerRuntimeList', items: objects.map(asObject) });
    expect(outcome([writeFiles({ 'seed.yaml': list })]).files).toEqual(outcome([writeFiles({ 'a.yaml': objects[0], 'b.yaml': objects[1] })]).files);
  });

  test('another kind whose name ends in List is an object like any other: skipped and counted', () => {
    const dir = writeFiles({ 'a.yaml': `${ALPHA}---\napiVersion: example.com/v1\nkind: AllowList\nitems: {a: b}\n` });
    expect(runPipeline({ inputs: [dir] }).summary.skippedDocuments).toBe(1);
  });

  test('a problem in an item of a JSON list points at the item\'s field in the file', () => {
    const broken = asObject(shoot('garden-ml', 'broken', [{ name: 'p', runtimes: [{ type: 'rocket' }] }]));
    const text = JSON.stringify({ apiVersion: 'core.gardener.cloud/v1beta1', kind: 'ShootList', items: [asObject(ALPHA), withoutType(broken)] }, null, 2);
    const line = text.split('\n').findIndex((l) => l.includes('"rocket"')) + 1;
    const dir = writeFiles({ 'export.json': text });
    expect(outcome([dir]).problems).toEqual([
      `${path.join(dir, 'export.json')}:${line}: Shoot garden-ml/broken: spec.provider.workers[0].cri.containerRuntimes[0].type: unknown runtime type "rocket" (known: gvisor, kata, kata-containers, kata-fc, kata-firecracker, spin, wasm-spin)`,
    ]);
  });

  test('the same Shoot in two files is refused, naming both files and the lines where each starts', () => {
    const dir = writeFiles({ 'a.yaml': ALPHA, 'b.yaml': `# a comment\n---\n${ALPHA}` });
    expect(outcome([dir]).problems).toEqual([
      `${path.join(dir, 'b.yaml')}:3: Shoot garden-dev/alpha: appears twice in the inputs, here and at ${path.join(dir, 'a.yaml')}:1; keep one of them`,
    ]);
  });
});

describe('YAML as the API server reads it', () => {
  test('merge keys are expanded', () => {
    const merged = [
      'apiVersion: core.gardener.cloud/v1beta1', 'kind: Shoot', 'metadata: {name: alpha, namespace: garden-dev}', 'spec:', '  provider:',
      '    type: gcp', '    workers:', '      - &pool', '        name: sandbox', '        machine: {type: n2-standard-4}',
      '        cri: {name: containerd, containerRuntimes: [{type: gvisor}]}', '      - <<: *pool', '        name: second', '',
    ].join('\n');
    const files = outcome([writeFiles({ 'a.yaml': merged })]).files!;
    expect(Object.keys(files)).toContain('shoots/garden-dev/alpha/daemonset-gvisor-second.yaml');
  });

  test('a CRLF file splits into its documents at ---', () => {
    const crlf = `${ALPHA}---\n${BETA}`.replace(/\n/g, '\r\n');
    expect(outcome([writeFiles({ 'a.yaml': crlf })]).files).toEqual(outcome([writeFiles({ 'a.yaml': ALPHA, 'b.yaml': BETA })]).files);
  });

  test('numbers beyond 2^53 are refused at their line rather than changed; 2^53 - 1 and quoted numbers pass', () => {
    const text = `${ALPHA}---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\ndata:\n  ok: 9007199254740991\n  quoted: "9007199254740993"\n  big: 9007199254740993\n`;
    const dir = writeFiles({ 'a.yaml': text });
    expect(outcome([dir]).problems).toEqual([
      `${path.join(dir, 'a.yaml')}:${text.split('\n').indexOf('  big: 9007199254740993') + 1}: the number 9007199254740993 cannot be read exactly (beyond 2^53, the exact range of the numbers this tool reads); quote it if it is a string`,
    ]);
  });
});

describe('inputs are regular files', () => {
  const FAST_MS = 5000;

  function validate(args: string[]) {
    const started = Date.now();
    const result = cli(['validate', ...args]);
    return { ...result, ms: Date.now() - started };
  }

  test('a symlink to /dev/zero in an input directory and --input /dev/zero are refused at once', () => {
    const dir = writeFiles({ 'a.yaml': ALPHA });
    fs.symlinkSync('/dev/zero', path.join(dir, 'zero.yaml'));
    const inDir = validate(['--input', dir]);
    expect(inDir.status).toBe(1);
    expect(inDir.stderr).toContain(`${path.join(dir, 'zero.yaml')}:0: is a symlink to a character device, not to a regular file; only regular files are read`);
    expect(inDir.ms).toBeLessThan(FAST_MS);
    const direct = validate(['--input', '/dev/zero']);
    expect(direct.stderr).toContain('/dev/zero:0: is a character device, not a regular file; only regular files are read');
    expect(direct.ms).toBeLessThan(FAST_MS);
  });

  test('a FIFO in an input directory is refused without blocking', () => {
    const dir = writeFiles({ 'a.yaml': ALPHA });
    require('child_process').execFileSync('mkfifo', [path.join(dir, 'pipe.yaml')]);
    const result = validate(['--input', dir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`${path.join(dir, 'pipe.yaml')}:0: is a FIFO, not a regular file; only regular files are read`);
    expect(result.ms).toBeLessThan(FAST_MS);
  });

  test('symlink loops and symlinked directories are refused; the walk stays linear', () => {
    const dir = writeFiles({ 'a.yaml': ALPHA, 'sub/b.yaml': BETA });
    fs.symlinkSync('loop-b.yaml', path.join(dir, 'loop-a.yaml'));
    fs.symlinkSync('loop-a.yaml', path.join(dir, 'loop-b.yaml'));
    fs.symlinkSync('self.yaml', path.join(dir, 'self.yaml'));
    for (let i = 0; i < 20; i++) fs.symlinkSync('.', path.join(dir, 'sub', `up${i}`));
    fs.symlinkSync('..', path.join(dir, 'sub', 'parent'));
    const result = validate(['--input', dir]);
    expect(result.status).toBe(1);
    const lines = result.stderr.split('\n').filter((l) => l.startsWith(dir)).sort();
    expect(lines).toEqual([
      `${dir}/loop-a.yaml:0: is a symlink loop`,
      `${dir}/loop-b.yaml:0: is a symlink loop`,
      `${dir}/self.yaml:0: is a symlink loop`,
      `${dir}/sub/parent:0: is a symlink to a directory; symlinked directories are not followed (give the directory as an input of its own)`,
      ...Array.from({ length: 20 }, (_, i) => `${dir}/sub/up${i}:0: is a symlink to a directory; symlinked directories are not followed (give the directory as an input of its own)`).sort(),
    ].sort());
    expect(result.ms).toBeLessThan(FAST_MS);
  });

  test('a file reached through a symlink or a hard link inside the inputs is read once; a symlink to a file outside is refused', () => {
    const outside = writeFiles({ 'secret.yaml': BETA });
    const dir = writeFiles({ 'a.yaml': ALPHA });
    fs.symlinkSync('a.yaml', path.join(dir, 'again.yaml'));
    fs.linkSync(path.join(dir, 'a.yaml'), path.join(dir, 'hard.yaml'));
    expect(outcome([dir, path.join(dir, 'a.yaml')]).files).toEqual(outcome([writeFiles({ 'a.yaml': ALPHA })]).files);
    fs.symlinkSync(path.join(outside, 'secret.yaml'), path.join(dir, 'b.yaml'));
    expect(outcome([dir]).problems).toEqual([`${path.join(dir, 'b.yaml')}:0: is a symlink to a file outside the input paths; only symlinks within them are followed`]);
    expect(Object.keys(outcome([dir, outside]).files!)).toContain('shoots/garden-ml/beta/kustomization.yaml');
  });

  test('--config naming a directory is a diagnostic, not a stack trace', () => {
    const dir = tempDir();
    const result = cli(['validate', '--config', dir]);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(`${dir}:0: is a directory, not a regular file; only regular files are read\nerror: 1 problem(s) in the input; nothing was written\n`);
  });
});

describe('diagnostics stay lines of bounded length', () => {
  test('a 1 MB name yields a short message', () => {
    const huge = 'n'.repeat(1024 * 1024);
    const result = cli(['validate', '--input', writeFiles({ 'a.yaml': shoot('garden-dev', huge, [{ name: 'p' }]) })]);
    expect(result.status).toBe(1);
    expect(result.stderr.length).toBeLessThan(2000);
    expect(result.stderr).toMatch(/characters left out/);
  });

  test('a newline in a value or an argument cannot start a line of its own', () => {
    const named = cli(['validate', '--input', 'missing\nerror: forged']);
    expect(named.stderr).toContain('missing\\nerror: forged:0: input path does not exist');
    const argument = cli(['validate', 'unknown\nerror: forged']);
    expect(argument.status).toBe(2);
    expect(argument.stderr).toContain('error: Unknown argument: unknown\\nerror: forged');
    for (const r of [named, argument]) expect(r.stderr.split('\n').filter((l) => l.startsWith('error: forged'))).toEqual([]);
  });
});

test('a problem that belongs to one shoot names it, so that a run can set that shoot aside', () => {
  const dir = writeFiles({
    'a.yaml': shoot('garden-dev', 'alpha', [{ name: 'p', runtimes: [{ type: 'rocket' }] }]),
    'b.yaml': containerRuntimeObject('ml', 'beta', 'gvisor', 'p', { configFlags: { debug: 'yes' } }),
    'c.yaml': 'just a sentence\n',
  });
  let error: unknown;
  try {
    runPipeline({ inputs: [dir] });
  } catch (e) {
    error = e;
  }
  expect((error as InputError).diagnostics.map((d) => [path.basename(d.origin.file), d.shoot])).toEqual([
    ['a.yaml', 'garden-dev/alpha'], ['b.yaml', 'garden-ml/beta'], ['c.yaml', undefined],
  ]);
});
