import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { catalogEntries, formatCatalogTable } from '../src/cli/cmds/catalog';
import { formatPlanTable } from '../src/cli/cmds/plan';
import { colorEnabled, formatTable } from '../src/cli/format';
import { Catalog } from '../src/catalog';
import { ROOT, cli } from './support/cli';
import { containerRuntimeObject, shoot, tempDir, writeFiles } from './support/fixtures';

const ESC = '\x1b';

/** A garden with a tainted pool, an alias, a ContainerRuntime object and a shoot without runtimes. */
function garden(): string {
  return writeFiles({
    'garden/alpha.yaml': shoot('garden-dev', 'alpha', [
      { name: 'sandbox', runtimes: [{ type: 'gvisor' }], taints: [{ key: 'dedicated', value: 'sandbox', effect: 'NoSchedule' }, { key: 'gpu', effect: 'NoExecute' }] },
      { name: 'vm', runtimes: [{ type: 'kata-containers' }] },
    ]),
    'garden/empty.yaml': shoot('garden-dev', 'empty', [{ name: 'default' }]),
    'seed/edge.yaml': containerRuntimeObject('ops', 'edge', 'gvisor', 'workers'),
  });
}

const PLAN_TABLE = [
  'SHOOT             POOL     RUNTIME          CLASSES [SHOOT-WIDE]                             INSTALLER                       NOTES',
  'garden-dev/alpha  sandbox  gvisor           gvisor-sandbox [gvisor]                          kube-system/gvisor-sandbox      tolerates dedicated=sandbox:NoSchedule, gpu:NoExecute',
  'garden-dev/alpha  vm       kata-containers  kata-qemu-vm, kata-clh-vm [kata-qemu, kata-clh]  kube-system/kata-containers-vm  kata-containers → kata',
  'garden-dev/empty  -        -                -                                                -                               no runtimes',
  'garden-ops/edge   workers  gvisor           gvisor-workers [gvisor]                          kube-system/gvisor-workers      taints unknown: installer tolerates all',
].map((line) => `${line}\n`).join('');

const PLAN_KEYS = ['shoot', 'pool', 'runtime', 'catalogType', 'classes', 'shootClasses', 'installer', 'notes'];

test('plan prints one aligned row per ContainerRuntime and per shoot without runtimes, writes nothing', () => {
  const dir = garden();
  const result = cli(['plan', '--input', dir]);
  expect(result.stdout).toBe(PLAN_TABLE);
  expect(result.stderr).toBe('plan: 3 shoots, 3 pools, 3 runtimes; 0 documents skipped; nothing written\n');
  expect(result.status).toBe(0);
  expect(fs.readdirSync(dir).sort()).toEqual(['garden', 'seed']);
  expect(result.stdout).not.toContain(ESC);
});

test('plan --format json: a pretty-printed array of objects with the documented keys in order', () => {
  const result = cli(['plan', '--input', garden(), '--format', 'json', '--quiet']);
  expect(result.status).toBe(0);
  expect(result.stderr).toBe('');
  expect(result.stdout).toBe(`${JSON.stringify(JSON.parse(result.stdout), null, 2)}\n`);
  const rows = JSON.parse(result.stdout);
  for (const row of rows) expect(Object.keys(row)).toEqual(PLAN_KEYS);
  expect(rows).toEqual([
    {
      shoot: 'garden-dev/alpha', pool: 'sandbox', runtime: 'gvisor', catalogType: 'gvisor',
      classes: ['gvisor-sandbox'], shootClasses: ['gvisor'], installer: 'kube-system/gvisor-sandbox',
      notes: ['tolerates dedicated=sandbox:NoSchedule, gpu:NoExecute'],
    },
    {
      shoot: 'garden-dev/alpha', pool: 'vm', runtime: 'kata-containers', catalogType: 'kata',
      classes: ['kata-qemu-vm', 'kata-clh-vm'], shootClasses: ['kata-qemu', 'kata-clh'], installer: 'kube-system/kata-containers-vm',
      notes: ['kata-containers → kata'],
    },
    {
      shoot: 'garden-dev/empty', pool: null, runtime: null, catalogType: null,
      classes: [], shootClasses: [], installer: null, notes: ['no runtimes'],
    },
    {
      shoot: 'garden-ops/edge', pool: 'workers', runtime: 'gvisor', catalogType: 'gvisor',
      classes: ['gvisor-workers'], shootClasses: ['gvisor'], installer: 'kube-system/gvisor-workers',
      notes: ['taints unknown: installer tolerates all'],
    },
  ]);
});

test('plan refuses invalid input like synth: exit 1, the problems, no table', () => {
  const input = writeFiles({ 'bad.yaml': shoot('garden-dev', 'x', [{ name: 'p', runtimes: [{ type: 'rocket' }] }]) });
  const result = cli(['plan', '--input', input, '--quiet']);
  expect(result.status).toBe(1);
  expect(result.stdout).toBe('');
  expect(result.stderr).toContain('unknown runtime type "rocket"');
  expect(result.stderr).not.toMatch(/\n\s+at /);
});

function pipelineWithRuntimes(): string {
  return writeFiles({
    'pipeline.yaml': [
      'apiVersion: shoot-runtimes.dev/v1alpha1',
      'kind: Pipeline',
      'metadata: {name: test}',
      'spec:',
      '  sources: [garden]',
      '  runtimes:',
      '    crun:',
      '      aliases: [oci-crun]',
      '      image: ghcr.io/example/crun-installer:1.19',
      '      files: [/bin/crun]',
      '      architectures: [amd64, arm64]',
      '      classes:',
      '        - {name: crun, handler: crun, runtimeType: io.containerd.runc.v2}',
      '    gvisor:',
      '      image: registry.internal/gvisor-installation:v0.24.0',
    ].join('\n'),
  });
}

test('catalog lists the built-in runtimes sorted by type, with aliases and handlers; no inputs needed', () => {
  const result = cli(['catalog']);
  expect(result.status).toBe(0);
  expect(result.stderr).toBe('');
  const lines = result.stdout.split('\n');
  expect(lines[0]).toMatch(/^TYPE \(ALIASES\) +CLASSES \(HANDLERS\) +ARCHITECTURES +IMAGE$/);
  expect(lines.slice(1, -1).map((l) => l.split(/\s{2,}/).slice(0, 3))).toEqual([
    ['gvisor', 'gvisor (runsc)', 'amd64, arm64'],
    ['kata (kata-containers)', 'kata-qemu (kata-qemu), kata-clh (kata-clh)', 'amd64'],
    ['kata-fc (kata-firecracker)', 'kata-fc (kata-fc)', 'amd64'],
    ['spin (wasm-spin)', 'wasmtime-spin-v2 (spin)', 'amd64, arm64'],
  ]);
  // Columns are aligned: every IMAGE cell starts where the header's does.
  const imageColumn = lines[0].indexOf('IMAGE');
  for (const line of lines.slice(1, -1)) expect(line[imageColumn - 1]).toBe(' ');
  for (const line of lines.slice(1, -1)) expect(line[imageColumn]).not.toBe(' ');
  expect(lines.at(-1)).toBe('');
});

test('catalog --config adds and overrides entries from spec.runtimes (table and JSON)', () => {
  const config = path.join(pipelineWithRuntimes(), 'pipeline.yaml');
  const table = cli(['catalog', '--config', config]);
  expect(table.status).toBe(0);
  const rows = table.stdout.split('\n').slice(1, -1).map((l) => l.split(/\s{2,}/));
  expect(rows.map((r) => r[0])).toEqual(['crun (oci-crun)', 'gvisor', 'kata (kata-containers)', 'kata-fc (kata-firecracker)', 'spin (wasm-spin)']);
  expect(rows[0]).toEqual(['crun (oci-crun)', 'crun (crun)', 'amd64, arm64', 'ghcr.io/example/crun-installer:1.19']);
  expect(rows[1][3]).toBe('registry.internal/gvisor-installation:v0.24.0');

  const json = cli(['catalog', '--config', config, '--format', 'json']);
  expect(json.status).toBe(0);
  expect(json.stdout).not.toContain(ESC);
  const entries = JSON.parse(json.stdout);
  for (const e of entries) expect(Object.keys(e)).toEqual(['type', 'aliases', 'description', 'classes', 'architectures', 'image']);
  expect(entries[0]).toEqual({
    type: 'crun', aliases: ['oci-crun'], description: 'crun (from the pipeline file)',
    classes: [{ name: 'crun', handler: 'crun' }], architectures: ['amd64', 'arm64'], image: 'ghcr.io/example/crun-installer:1.19',
  });
  expect(entries[1]).toMatchObject({ type: 'gvisor', aliases: [], classes: [{ name: 'gvisor', handler: 'runsc' }], image: 'registry.internal/gvisor-installation:v0.24.0' });
  expect(entries.map((e: { type: string }) => e.type)).toEqual(['crun', 'gvisor', 'kata', 'kata-fc', 'spin']);
});

test('catalog --config with a broken pipeline file exits 1 with the problem', () => {
  const result = cli(['catalog', '--config', path.join(tempDir(), 'missing.yaml')]);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('the pipeline file does not exist');
  expect(result.stdout).toBe('');
});

/** Runs the compiled CLI with stdout taken for a terminal (the test's own stdout is a pipe). */
function cliOnTerminal(args: readonly string[], env: Record<string, string | undefined>) {
  const script = `process.stdout.isTTY = true; require(${JSON.stringify(path.join(ROOT, 'lib/src/cli/index.js'))})`
    + `.main(${JSON.stringify(args)}).then((code) => { process.exitCode = code; });`;
  const childEnv: Record<string, string | undefined> = { ...process.env, ...env };
  for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
  return spawnSync(process.execPath, ['-e', script], { cwd: ROOT, encoding: 'utf8', env: childEnv as NodeJS.ProcessEnv });
}

test('colours only on a terminal without NO_COLOR, never in JSON', () => {
  const dir = garden();
  const coloured = cliOnTerminal(['plan', '--input', dir, '--quiet'], { NO_COLOR: undefined });
  expect(coloured.status).toBe(0);
  expect(coloured.stdout).toContain(`${ESC}[1mSHOOT${ESC}[22m`);
  expect(coloured.stdout.replace(/\x1b\[[0-9;]*m/g, '')).toBe(PLAN_TABLE);
  expect(cliOnTerminal(['catalog'], { NO_COLOR: '' }).stdout).toContain(ESC);

  expect(cliOnTerminal(['plan', '--input', dir, '--quiet'], { NO_COLOR: '1' }).stdout).toBe(PLAN_TABLE);
  expect(cliOnTerminal(['catalog'], { NO_COLOR: 'yes' }).stdout).not.toContain(ESC);
  expect(cliOnTerminal(['plan', '--input', dir, '--format', 'json'], { NO_COLOR: undefined }).stdout).not.toContain(ESC);
  expect(cliOnTerminal(['catalog', '--format', 'json'], { NO_COLOR: undefined }).stdout).not.toContain(ESC);
  // Not a terminal (a pipe): plain, whatever NO_COLOR says.
  expect(cli(['catalog']).stdout).not.toContain(ESC);
});

test('colorEnabled: a terminal and NO_COLOR unset or empty', () => {
  expect(colorEnabled({ isTTY: true }, {})).toBe(true);
  expect(colorEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
  expect(colorEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
  expect(colorEnabled({ isTTY: true }, { NO_COLOR: '0' })).toBe(false);
  expect(colorEnabled({ isTTY: false }, {})).toBe(false);
  expect(colorEnabled({}, {})).toBe(false);
});

test('formatTable: aligned, no trailing spaces, dim placeholders, escaped control characters', () => {
  const columns = [{ header: 'A' }, { header: 'B', style: 'yellow' as const }, { header: 'C' }];
  const rows = [['x', 'long value', 'end'], ['wider cell', undefined, ''], ['\x1b[31mred', 'b', 'c\nd']];
  expect(formatTable(columns, rows, { color: false })).toBe([
    'A            B           C',
    'x            long value  end',
    'wider cell   -           -',
    '\\x1b[31mred  b           c\\x0ad',
    '',
  ].join('\n'));
  const coloured = formatTable(columns, rows, { color: true });
  expect(coloured.split('\n')[0]).toBe(`${ESC}[1mA${ESC}[22m            ${ESC}[1mB${ESC}[22m           ${ESC}[1mC${ESC}[22m`);
  expect(coloured).toContain(`${ESC}[33mlong value${ESC}[39m`);
  expect(coloured).toContain(`${ESC}[2m-${ESC}[22m`);
  expect(coloured.replace(/\x1b\[[0-9;]*m/g, '')).toBe(formatTable(columns, rows, { color: false }));
});

test('the command formatters colour only when asked', () => {
  const entries = catalogEntries(Catalog.withOverrides());
  expect(formatCatalogTable(entries, { color: false })).not.toContain(ESC);
  expect(formatCatalogTable(entries, { color: true })).toContain(`${ESC}[36mgvisor${ESC}[39m`);
  const rows = [{ shoot: 'garden-dev/empty', pool: null, runtime: null, catalogType: null, classes: [], shootClasses: [], installer: null, notes: ['no runtimes'] }];
  expect(formatPlanTable(rows, { color: true })).toContain(`${ESC}[33mno runtimes${ESC}[39m`);
  expect(formatPlanTable(rows, { color: false })).not.toContain(ESC);
});

test('--quiet silences the success summary of synth, check and validate; problems are still printed', () => {
  const input = writeFiles({ 'a.yaml': shoot('garden-dev', 'alpha', [{ name: 'p', runtimes: [{ type: 'gvisor' }] }]) });
  const out = tempDir();
  const synth = cli(['synth', '--input', input, '--out', out, '--quiet']);
  expect(synth.status).toBe(0);
  expect(synth.stderr).toBe('');
  expect(fs.existsSync(path.join(out, 'shoots/garden-dev/alpha/runtimeclass-gvisor-p.yaml'))).toBe(true);
  expect(cli(['synth', '--input', input, '--out', out]).stderr).toMatch(/^synth: 1 shoots/);

  expect(cli(['check', '--input', input, '--out', out, '--quiet'])).toMatchObject({ status: 0, stderr: '' });
  expect(cli(['validate', '--input', input, '--quiet'])).toMatchObject({ status: 0, stderr: '' });

  fs.rmSync(path.join(out, 'shoots/garden-dev/alpha/runtimeclass-gvisor-p.yaml'));
  const check = cli(['check', '--input', input, '--out', out, '--quiet']);
  expect(check.status).toBe(1);
  expect(check.stderr).toMatch(/^check: .* is not what synth would write\n$/);

  const bad = writeFiles({ 'bad.yaml': shoot('garden-dev', 'x', [{ name: 'p', runtimes: [{ type: 'rocket' }] }]) });
  const invalid = cli(['synth', '--input', bad, '--out', tempDir(), '--quiet']);
  expect(invalid.status).toBe(1);
  expect(invalid.stderr).toContain('unknown runtime type "rocket"');
});

test('plan --help and catalog --help show their examples', () => {
  const plan = cli(['plan', '--help']);
  expect(plan.status).toBe(0);
  expect(plan.stdout).toContain('Examples:');
  expect(plan.stdout).toMatch(/Examples:[\s\S]*shoot-runtimes plan --input garden\/ +the plan as JSON/);
  expect(plan.stdout).toMatch(/--format\s/);
  const catalog = cli(['catalog', '--help']);
  expect(catalog.status).toBe(0);
  expect(catalog.stdout).toMatch(/Examples:[\s\S]*shoot-runtimes catalog --format json +as JSON/);
  expect(cli(['--help']).stdout).toMatch(/shoot-runtimes plan .*\n[\s\S]*shoot-runtimes catalog /);
});

test('unknown flags, commands and formats are usage errors: exit 2 with usage, no stack trace', () => {
  const dir = garden();
  for (const args of [['plan', '--input', dir, '--bogus'], ['catalog', '--bogus'], ['plan', '--input', dir, '--format', 'yaml'],
    ['catalog', '--format', 'xml'], ['plans'], ['plan']]) {
    const result = cli(args);
    expect(result.status).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/\nerror: /);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  }
});
