/**
 * Every command shown in the docs is exercised by a test.
 *
 * The fenced `sh`, `bash` and `shell` blocks of README.md and docs/*.md are split into simple
 * commands (continuation lines, quotes, pipes, `&&`, `;`, `$(...)` and `<(...)` understood).
 * Then every command is accounted for:
 * - `shoot-runtimes`, `bin/shoot-runtimes` and `npm run synth` are run here, page by page in
 *   document order, against a temp workspace holding a copy of examples/ (and of its garden/,
 *   seed/ and pipeline.yaml at the top, for commands written for a user's own repository);
 * - `npm run bench` and `npm run bench:artifacts` are run here with a tiny fleet;
 * - other npm commands, and commands that another test runs, are listed in RUN_ELSEWHERE with
 *   the test (or script) that runs them;
 * - commands that need systems this machine does not have (a cluster, a registry) or that are
 *   plain local shell utilities are listed in NOT_RUN with the reason.
 * A command that fits none of these fails the test, so a new command in the docs needs a test.
 * The library example of README.md is compiled against the built package and run.
 */
import { execFile, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import * as yaml from 'js-yaml';
import * as ts from 'typescript';
import { installerFiles, installerVersion } from '../src';

const ROOT = path.resolve(__dirname, '..');
const BIN = path.join(ROOT, 'bin', 'shoot-runtimes');
const PAGES = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).sort().map((f) => `docs/${f}`)];
const SHELL_LANGUAGES = new Set(['sh', 'bash', 'shell']);

/** One simple command of a shell block. */
interface DocCommand {
  readonly page: string;
  /** 1-based line of the page where the command starts. */
  readonly line: number;
  /** The words after leading `NAME=value` assignments, quotes removed (no expansion). */
  readonly argv: readonly string[];
  /** The words joined by single spaces: what the lists below match. */
  readonly text: string;
  /** Whether a word needed the shell: `$`, a glob, a substitution, or a redirection. */
  readonly needsShell: boolean;
}

// ---------------------------------------------------------------------------------------------
// The lists. Every entry must match at least one command of the docs (stale entries fail).

interface Entry {
  readonly match: RegExp;
  readonly reason: string;
  /** RUN_ELSEWHERE: a file that runs the command, and a string it must contain. */
  readonly runBy?: { readonly file: string; readonly contains: string };
}

/** npm commands and commands that another test (or an npm script around the suite) runs. */
const RUN_ELSEWHERE: readonly Entry[] = [
  {
    match: /^npm ci$/,
    reason: 'installs the dependencies and builds (prepare); CI runs it as part of `npm cit`, and a test cannot reinstall node_modules under itself',
    runBy: { file: 'package.json', contains: '"prepare": "npm run build"' },
  },
  {
    match: /^npm cit$/,
    reason: 'npm ci, then npm test: this suite itself, which CI runs',
    runBy: { file: 'package.json', contains: '"test": "jest"' },
  },
  {
    match: /^npm run build$/,
    reason: 'npm test runs it before jest (pretest), so every test run has done it',
    runBy: { file: 'package.json', contains: '"pretest": "npm run build"' },
  },
  {
    match: /^sh src\/installer\/install\.sh( verify| verify-removed| uninstall)?$/,
    reason: 'the installer by hand against a stand-in host root; the installer tests run every mode the same way',
    runBy: { file: 'test/installer/uninstall.test.ts', contains: "mode: 'verify-removed'" },
  },
  {
    match: /^(bin\/)?shoot-runtimes acknowledge( |$)/,
    reason: 'needs an API server; the wire tests run the command against a stand-in API server over http and https',
    runBy: { file: 'test/acknowledger-wire.test.ts', contains: "cli(['acknowledge', '--once'" },
  },
  {
    match: /^containerd (config default|--config \S+ config dump)$/,
    reason: "Debian's containerd from .cache/; the installer tests generate default configs and dump merged ones",
    runBy: { file: 'test/support/host.ts', contains: "'config', 'dump'" },
  },
];

/** Commands that are not run: they need systems this machine lacks, or are local utilities. */
const NOT_RUN: readonly Entry[] = [
  { match: /^kubectl --context garden create --raw \/apis\/core\.gardener\.cloud\/v1beta1\/namespaces\/garden-\$project\/shoots\/\$shoot\/adminkubeconfig -f /, reason: 'needs a garden cluster (no cluster here)' },
  { match: /^kubectl --context management (-n \S+ create secret generic \S+ --from-file=value=kubeconfig\.yaml --dry-run=client -o yaml|apply -f -)$/, reason: 'needs the management cluster (no cluster here)' },
  { match: /^kubectl --context garden apply -k dist\/garden$/, reason: 'needs a garden cluster (no cluster here); test/example.test.ts builds dist/garden with kubectl kustomize' },
  { match: /^kubectl --context seed -n \S+ (patch|delete) managedresource /, reason: 'needs a seed with the gVisor extension\'s ManagedResources (no cluster here)' },
  { match: /^jq -r \.status\.kubeconfig$/, reason: 'reads the garden cluster\'s answer, which needs a cluster' },
  { match: /^(base64 -d|echo|printf|mkdir|mktemp|rm|grep|export)( |$)/, reason: 'a local shell utility in an example that acts on its own temp files' },
];

// ---------------------------------------------------------------------------------------------
// Parsing.

/** Every fenced shell block of a page, with the line its first content line has. */
function shellBlocks(page: string): { start: number; body: string }[] {
  const lines = fs.readFileSync(path.join(ROOT, page), 'utf8').split('\n');
  const blocks: { start: number; body: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    if (SHELL_LANGUAGES.has(open[1])) blocks.push({ start: i + 2, body: lines.slice(i + 1, end).join('\n') });
    i = end;
  }
  return blocks;
}

/** The commands of a shell text: a small POSIX-shell word splitter (no expansion). */
export function parseShell(text: string, page = '', firstLine = 1): DocCommand[] {
  const commands: DocCommand[] = [];
  let words: string[] = [];
  let word: string | undefined;
  let needsShell = false;
  let line = firstLine;
  let commandLine = firstLine;
  let redirect = false;
  const endWord = () => {
    if (word !== undefined) {
      if (redirect) redirect = false; else words.push(word);
    }
    word = undefined;
  };
  const endCommand = () => {
    endWord();
    let start = 0;
    while (start < words.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[start])) start++;
    const argv = words.slice(start);
    if (argv.length > 0) commands.push({ page, line: commandLine, argv, text: argv.join(' '), needsShell });
    words = [];
    needsShell = false;
  };
  const add = (s: string) => {
    if (word === undefined) {
      if (words.length === 0 && !redirect) commandLine = line;
      word = '';
    }
    word += s;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '\n') line++;
    if (c === '\\' && text[i + 1] === '\n') { i++; line++; continue; }
    if (c === '\\') { add(text[i + 1] ?? ''); i++; continue; }
    if (c === '#' && word === undefined) {
      while (i + 1 < text.length && text[i + 1] !== '\n') i++;
      continue;
    }
    if (c === "'") {
      const close = text.indexOf("'", i + 1);
      const quoted = text.slice(i + 1, close);
      line += quoted.split('\n').length - 1;
      add(quoted);
      i = close;
      continue;
    }
    if ((c === '$' || c === '<') && text[i + 1] === '(') {
      // A command or process substitution: its commands are commands of the page too.
      let depth = 0;
      let j = i + 1;
      let quote: string | undefined;
      for (; j < text.length; j++) {
        const d = text[j];
        if (quote) { if (d === quote) quote = undefined; continue; }
        if (d === "'" || d === '"') quote = d;
        else if (d === '(') depth++;
        else if (d === ')' && --depth === 0) break;
      }
      const inner = text.slice(i + 2, j);
      commands.push(...parseShell(inner, page, line));
      line += inner.split('\n').length - 1;
      add(text.slice(i, j + 1));
      needsShell = true;
      i = j;
      continue;
    }
    if (c === '"') {
      let j = i + 1;
      let value = '';
      for (; j < text.length && text[j] !== '"'; j++) {
        if (text[j] === '\\' && j + 1 < text.length) { value += text[++j]; continue; }
        if (text[j] === '$') needsShell = true;
        if (text[j] === '\n') line++;
        value += text[j];
      }
      add(value);
      i = j;
      continue;
    }
    if (c === ' ' || c === '\t') { endWord(); continue; }
    if (c === '\n' || c === ';' || c === '|' || c === '&') {
      endCommand();
      if ((c === '|' || c === '&') && text[i + 1] === c) i++;
      continue;
    }
    if ((c === '>' || c === '<') && word === undefined) {
      redirect = true;
      needsShell = true;
      if (text[i + 1] === '>' || text[i + 1] === '&') i++;
      continue;
    }
    if (c === '$' || c === '*' || c === '?') needsShell = true;
    add(c);
  }
  endCommand();
  return commands;
}

const commands: DocCommand[] = PAGES.flatMap((page) => shellBlocks(page).flatMap((b) => parseShell(b.body, page, b.start)));
const where = (c: DocCommand) => `${c.page}:${c.line}: ${c.text}`;

const isCli = (c: DocCommand) => c.argv[0] === 'shoot-runtimes' || c.argv[0] === 'bin/shoot-runtimes';
const runHere = (c: DocCommand) => (isCli(c) && !listed(RUN_ELSEWHERE, c)) || c.text === 'npm run synth' || c.text === 'npm run bench' || c.text === 'npm run bench:artifacts';
const listed = (list: readonly Entry[], c: DocCommand) => list.find((e) => e.match.test(c.text));

// ---------------------------------------------------------------------------------------------
// The parser itself.

test('the shell splitter understands continuations, quotes, pipes, substitutions and comments', () => {
  const parsed = parseShell([
    'a=1 b=2   # only assignments',
    'x --flag "two words" \'it\'\'s\' && y -z | w > out.txt # comment',
    'v=$(mktemp -d)',
    'k --raw "/p/$v" \\',
    '  -f <(echo \'{"a": 1}\') | jq -r .b',
    "export T='one",
    "two'",
    'last',
  ].join('\n'), 'p', 10);
  expect(parsed.map((c) => [c.line, c.argv, c.needsShell])).toEqual([
    [11, ['x', '--flag', 'two words', 'its'], false],
    [11, ['y', '-z'], false],
    [11, ['w'], true],
    [12, ['mktemp', '-d'], false],
    [14, ['echo', '{"a": 1}'], false],
    [13, ['k', '--raw', '/p/$v', '-f', '<(echo \'{"a": 1}\')'], true],
    [14, ['jq', '-r', '.b'], false],
    [15, ['export', 'T=one\ntwo'], false],
    [17, ['last'], false],
  ]);
});

// ---------------------------------------------------------------------------------------------
// Accounting.

test('the docs show commands, and every one is run here, run elsewhere, or not run for a stated reason', () => {
  expect(commands.filter(runHere).length).toBeGreaterThan(10);
  const unknown = commands.filter((c) => !runHere(c) && !listed(RUN_ELSEWHERE, c) && !listed(NOT_RUN, c)).map(where);
  expect(unknown).toEqual([]);
  // Nothing that runs shoot-runtimes or npm hides among the reasons not to run it.
  expect(commands.filter((c) => ['npm', 'npx'].includes(c.argv[0]) && listed(NOT_RUN, c)).map(where)).toEqual([]);
});

test('every list entry matches a command of the docs, and the tests it names exist and do it', () => {
  for (const entry of [...RUN_ELSEWHERE, ...NOT_RUN]) {
    expect([entry.match.source, commands.some((c) => entry.match.test(c.text))]).toEqual([entry.match.source, true]);
    expect(entry.reason.length).toBeGreaterThan(10);
    if (entry.runBy) expect(fs.readFileSync(path.join(ROOT, entry.runBy.file), 'utf8')).toContain(entry.runBy.contains);
  }
});

test('README keeps the quick start that CI and the hook check', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  expect(readme).toMatch(/^npm ci && npm run synth( |$)/m);
  expect(readme).toMatch(/^npm cit( |$)/m);
});

// ---------------------------------------------------------------------------------------------
// Running them.

const run = promisify(execFile);

interface Outcome { readonly status: number; readonly stdout: string; readonly stderr: string }

async function node(args: readonly string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await run(process.execPath, [...args], { cwd, env: { ...process.env, NO_COLOR: '1', ...env }, maxBuffer: 1 << 26 });
    return { status: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { status: typeof e.code === 'number' ? e.code : -1, stdout: e.stdout ?? '', stderr: e.stderr ?? String(error) };
  }
}

/**
 * A workspace as a user's repository looks after the embedded example was rendered: examples/,
 * and its pipeline.yaml, garden/ and seed/ at the top (their output goes to ../dist, still inside
 * the temp directory).
 */
function workspace(): string {
  const ws = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'shoot-runtimes-docs-')), 'ws');
  fs.cpSync(path.join(ROOT, 'examples'), path.join(ws, 'examples'), { recursive: true });
  for (const entry of fs.readdirSync(path.join(ROOT, 'examples'))) {
    if (entry !== 'ci') fs.cpSync(path.join(ROOT, 'examples', entry), path.join(ws, entry), { recursive: true });
  }
  return ws;
}

/** `npm run <script>`: the script of package.json, as argv for node. */
function npmScript(name: string): string[] {
  const script: string = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8')).scripts[name];
  const [program, ...args] = parseShell(script)[0].argv;
  expect(program).toBe('node');
  return args;
}

async function runCommand(c: DocCommand, ws: string): Promise<Outcome> {
  if (c.needsShell) throw new Error(`${where(c)}: a command that is run here must not need the shell ($, globs, redirections)`);
  if (isCli(c)) return node([BIN, ...c.argv.slice(1)], ws);
  if (c.text === 'npm run synth') {
    const [bin, ...args] = npmScript('synth');
    expect(bin).toBe('bin/shoot-runtimes');
    return node([BIN, ...args], ws);
  }
  // npm run bench and bench:artifacts: the same scripts with a tiny fleet (the real runs take minutes).
  const [script] = npmScript(c.argv[2]);
  return node([path.join(ROOT, script)], ROOT, { BENCH_SIZES: '5', BENCH_ARTIFACT_SHOOTS: '5' });
}

/** What a command's output must show, beyond its exit status. */
function expectOutput(c: DocCommand, outcome: Outcome): void {
  const format = c.argv.indexOf('--format');
  if (format >= 0 && c.argv[format + 1] === 'json') expect(Array.isArray(JSON.parse(outcome.stdout))).toBe(true);
  if (c.argv[1] === 'plan' || c.argv[1] === 'catalog') expect(outcome.stdout).not.toBe('');
  if (c.text === 'npm run bench') expect(outcome.stdout).toContain('| shoots | synth (first) | peak RSS |');
  if (c.text === 'npm run bench:artifacts') expect(outcome.stdout).toContain('install.sh changed: 5 of 5 shoot artifacts changed');
  if (c.argv[1] === 'synth' || c.argv[1] === 'retire' || c.text === 'npm run synth') expect(outcome.stderr).toMatch(/^(synth|retire): \d+ shoots/m);
}

const pagesWithRuns = PAGES.filter((page) => commands.some((c) => c.page === page && runHere(c)));

test.concurrent.each(pagesWithRuns)('the commands of %s run and succeed, in the order shown, on a copy of examples/', async (page) => {
  const ws = workspace();
  // The state the docs start from: a repository in which synth has run once.
  const setup = await node([BIN, 'synth', '--config', 'pipeline.yaml', '--quiet'], ws);
  expect(setup.stderr).toBe('');
  for (const c of commands.filter((x) => x.page === page && runHere(x))) {
    const outcome = await runCommand(c, ws);
    expect([where(c), outcome.status, outcome.status === 0 ? '' : outcome.stderr]).toEqual([where(c), 0, '']);
    expectOutput(c, outcome);
  }
});

// ---------------------------------------------------------------------------------------------
// The library example.

test('the library example of README.md compiles against the built package and runs', () => {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## As a library'));
  const code = /```ts\n([\s\S]*?)```/.exec(section)![1];
  expect(code).toContain("from 'shoot-runtimes'");

  // Another project: the package under its name (as npm would link it), cdk8s beside it.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'shoot-runtimes-library-'));
  fs.mkdirSync(path.join(dir, 'node_modules'));
  fs.symlinkSync(ROOT, path.join(dir, 'node_modules', 'shoot-runtimes'), 'dir');
  for (const dep of ['cdk8s', 'constructs']) fs.symlinkSync(path.join(ROOT, 'node_modules', dep), path.join(dir, 'node_modules', dep), 'dir');
  fs.writeFileSync(path.join(dir, 'main.ts'), code);

  const program = ts.createProgram([path.join(dir, 'main.ts')], {
    strict: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10, skipLibCheck: true, types: [], outDir: dir,
  });
  const diagnostics = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
  expect(diagnostics).toEqual([]);
  expect(program.emit().emitSkipped).toBe(false);

  const result = spawnSync(process.execPath, ['main.js'], { cwd: dir, encoding: 'utf8' });
  expect(result.stderr).toBe('');
  expect(result.status).toBe(0);
  expect(result.stdout).toBe("[ 'gvisor-sandbox' ]\n");
  const objects = yaml.loadAll(fs.readFileSync(path.join(dir, 'dist', 'platform.k8s.yaml'), 'utf8')) as any[];
  expect(objects.map((o) => `${o.kind}/${o.metadata.namespace ?? '-'}/${o.metadata.name}`)).toEqual([
    `ConfigMap/kube-system/shoot-runtimes-installer-${installerVersion(installerFiles())}`,
    'ServiceAccount/kube-system/shoot-runtimes-installer',
    'RuntimeClass/-/gvisor-sandbox',
    'DaemonSet/kube-system/gvisor-sandbox',
  ]);
});
