/**
 * toml.awk on its own: the parser and editor install.sh runs, driven through its environment
 * interface (SR_MODE and friends) under busybox awk, the awk of the installer image.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BUSYBOX_PATH_DIR } from '../support/debian';

const TOML_AWK = path.resolve(__dirname, '..', '..', 'src', 'installer', 'toml.awk');
const AWK = path.join(BUSYBOX_PATH_DIR, 'awk');

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoot-runtimes-toml-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

let files = 0;
function file(text: string): string {
  const f = path.join(dir, `config-${files++}.toml`);
  fs.writeFileSync(f, text);
  return f;
}

const RUNSC = '[runsc]\nruntime_type = "io.containerd.runsc.v1"\n';

/** Runs one mode of toml.awk on config text; returns status, stdout and stderr. */
function toml(mode: string, config: string, extra: Record<string, string> = {}): { status: number | null; out: string; err: string } {
  const r = spawnSync(AWK, ['-f', TOML_AWK], {
    env: {
      LC_ALL: 'C',
      SR_MODE: mode,
      SR_CONFIG: file(config),
      SR_HANDLERS: 'runsc',
      SR_GLOB: '/etc/containerd/conf.d/*.toml',
      SR_DROPIN: '/etc/containerd/conf.d/gvisor.toml',
      RUNTIME_TABLES: RUNSC,
      RUNTIME_NAME: 'gvisor',
      ...extra,
    },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

describe('version', () => {
  test.each([
    ['', '1'],
    ['version = 2\n', '2'],
    ["'version' = 3 # c\n", '3'],
    ['[x]\nversion = 4\n', '1'],
    ['s = """\nversion = 4\n"""\nversion = 2\n', '2'],
  ])('%j is version %s', (config, version) => {
    expect(toml('version', config)).toEqual({ status: 0, out: `${version}\n`, err: '' });
  });

  test.each([
    ['version = "2"\n', 'version must be an integer'],
    ['version = 9\n', 'unsupported config version 9'],
    ['x = "unterminated\n', 'line 1: unterminated string'],
    ['[a]\nx = 1 2\n', 'line 2: unexpected text after value of x'],
  ])('%j is refused: %s', (config, message) => {
    const r = toml('version', config);
    expect(r.status).toBe(1);
    expect(r.err).toContain(message);
  });
});

describe('plan: a handler is found by meaning', () => {
  const P = 'plugins."io.containerd.grpc.v1.cri".containerd.runtimes';
  test.each([
    ['absent', 'version = 2\n', 'absent'],
    ['the same tables', `version = 2\n[${P}.runsc]\nruntime_type = "io.containerd.runsc.v1"\n`, 'same'],
    ['other quoting', `version = 2\n[plugins.'io.containerd.grpc.v1.cri'.containerd.runtimes."runsc"]\n"runtime_type" = 'io.containerd.runsc.v1'\n`, 'same'],
    ['an inline table', `version = 2\n[${P.replace('.runtimes', '')}]\nruntimes = { runsc = { runtime_type = "io.containerd.runsc.v1" } }\n`, 'error'],
    ['another value', `version = 2\n[${P}.runsc]\nruntime_type = "x"\n`, 'differs'],
    ['twice', `version = 2\n[${P}.runsc]\nruntime_type = "io.containerd.runsc.v1"\n[${P}.runsc]\nruntime_type = "io.containerd.runsc.v1"\n`, 'differs'],
    ['a prefix of another handler', `version = 2\n[${P}.runsc-debug]\nruntime_type = "io.containerd.runsc.v1"\n`, 'absent'],
  ])('%s', (_name, config, state) => {
    const r = toml('plan', config);
    if (state === 'error') {
      expect(r.status).toBe(1);
      expect(r.err).toContain('handler runsc is defined by a dotted key or an inline table');
    } else {
      expect(r).toEqual({ status: 0, out: `handler\trunsc\t${state}\ndefault\trunc\timplicit\n`, err: '' });
    }
  });
});

test('render appends the tables under the version\'s plugin path and check accepts the result', () => {
  const config = 'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\nruntime_type = "io.containerd.runc.v2"\n';
  const r = toml('render', config);
  expect(r.status).toBe(0);
  expect(r.out).toBe(`${config}\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]\nruntime_type = "io.containerd.runsc.v1"\n`);
  expect(toml('check', config, { SR_CANDIDATE: file(r.out) }).status).toBe(0);
  const tampered = toml('check', config, { SR_CANDIDATE: file(r.out.replace('runc.v2', 'runc.v1')) });
  expect(tampered.status).toBe(1);
  expect(tampered.err).toContain('a table or key outside the handlers changed');
});

test('dropin renders the tables with the file\'s own version', () => {
  const r = toml('dropin', 'version = 3\n');
  expect(r.out).toBe([
    '# Written by shoot-runtimes for runtime gvisor; every install rewrites it.',
    'version = 3',
    '',
    '[plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runsc]',
    'runtime_type = "io.containerd.runsc.v1"',
    '',
  ].join('\n'));
});

test('canonical values: escapes, integers and multi-line strings', () => {
  const config = [
    'version = 2',
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]',
    'runtime_type = "io.containerd.runsc.v1"',
    "a = 'lit\\eral'",
    'b = 0x1F',
    'c = """',
    'x\\',
    '   y"""',
    '',
  ].join('\n');
  const tables = `${RUNSC}a = "lit\\\\eral"\nb = 31\nc = "xy"\n`;
  expect(toml('plan', config, { RUNTIME_TABLES: tables }).out).toBe('handler\trunsc\tsame\ndefault\trunc\timplicit\n');
});

describe('the default runtime', () => {
  const CRI = '[plugins."io.containerd.grpc.v1.cri".containerd]\n';
  test('implicit runc (no table) is written out before the handler, and check holds it to that', () => {
    const config = `version = 2\n${CRI}  snapshotter = "overlayfs"\n`;
    const r = toml('render', config);
    expect(r.out).toBe(`${config}\n${[
      '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
      'runtime_type = "io.containerd.runc.v2"',
      'sandbox_mode = "podsandbox"',
      '',
      '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]',
      'runtime_type = "io.containerd.runsc.v1"',
      '',
    ].join('\n')}`);
    expect(toml('check', config, { SR_CANDIDATE: file(r.out) }).status).toBe(0);
    const other = toml('check', config, { SR_CANDIDATE: file(r.out.replace('podsandbox', 'shim')) });
    expect(other.err).toContain('unexpected key plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.sandbox_mode');
    const withoutRunc = `${config}\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]\nruntime_type = "io.containerd.runsc.v1"\n`;
    expect(toml('check', config, { SR_CANDIDATE: file(withoutRunc) }).err).toContain('the default runtime runc has no table');
  });

  test.each([
    ['a table for it', `${CRI}default_runtime_name = "crun"\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.crun]\nruntime_type = "io.containerd.runc.v2"\n`, 'crun\tpresent'],
    ['no table for a name that is not built in', `${CRI}default_runtime_name = "crun"\n`, 'crun\tmissing'],
    ['one of the handlers', `${CRI}default_runtime_name = "runsc"\n`, 'runsc\tours'],
  ])('%s', (_name, config, state) => {
    expect(toml('plan', `version = 2\n${config}`).out).toBe(`handler\trunsc\tabsent\ndefault\t${state}\n`);
  });

  test('a missing default is refused by render', () => {
    const r = toml('render', `version = 2\n${CRI}default_runtime_name = "crun"\n`);
    expect(r.status).toBe(1);
    expect(r.err).toContain('default_runtime_name "crun" has no runtime table; containerd\'s CRI plugin would not load');
  });

  test('a version 3 file with its handlers in a drop-in has no default line: containerd 2.x merges imports', () => {
    expect(toml('plan', 'version = 3\n').out).toBe('handler\trunsc\tabsent\nimports\tline\tabsent\n');
  });
});

test('imports lists the paths as written; dversion tells an explicit version from none', () => {
  expect(toml('imports', "imports = ['/etc/a/*.toml', \"b.toml\"]\n").out).toBe('/etc/a/*.toml\nb.toml\n');
  expect(toml('imports', 'imports = ["/x\\ty"]\n').err).toContain('is not a plain path');
  expect(toml('dversion', '[plugins.x]\na = 1\n').out).toBe('none\n');
  expect(toml('dversion', 'version = 3\n').out).toBe('3\n');
});

test('lines of many chunks keep their meaning: escapes, literal and multi-line strings, an array across chunk boundaries', () => {
  // RUNTIME_TABLES is one environment string: Linux caps it at 128 KiB
  const long = 'ab\\"c'.repeat(3_000);
  const decoded = 'ab"c'.repeat(3_000);
  const lit = 'x'.repeat(12_345);
  const config = [
    'version = 2',
    '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runsc]',
    'runtime_type = "io.containerd.runsc.v1"',
    `a = "${long}"`,
    `b = '${lit}'`,
    `c = """${lit}\\`,
    `   ${lit}"""`,
    `d = [${Array.from({ length: 5_000 }, (_, i) => i).join(', ')}]`,
    '',
  ].join('\n');
  const tables = [
    RUNSC.trimEnd(),
    `a = '${decoded}'`,
    `b = "${lit}"`,
    `c = "${lit}${lit}"`,
    `d = [${Array.from({ length: 5_000 }, (_, i) => i).join(',')}]`,
    '',
  ].join('\n');
  expect(toml('plan', config, { RUNTIME_TABLES: tables })).toEqual({ status: 0, out: 'handler\trunsc\tsame\ndefault\trunc\timplicit\n', err: '' });
  expect(toml('plan', config, { RUNTIME_TABLES: tables.replace('x"', 'y"') }).out).toContain('differs');
});
