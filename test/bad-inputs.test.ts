import * as fs from 'fs';
import * as path from 'path';
import { InputError, formatDiagnostic, runPipeline } from '../src';
import { cli } from './support/cli';
import { readTree, shoot, tempDir, writeFiles } from './support/fixtures';

/** Each test/fixtures/bad/<case>.yaml comes with <case>.expected: the exact messages, one per line. */
const BAD = path.join(__dirname, 'fixtures', 'bad');
const cases = fs.readdirSync(BAD).filter((f) => f.endsWith('.yaml')).sort();

test('the corpus covers every rule at least once', () => {
  expect(cases.length).toBeGreaterThanOrEqual(20);
  for (const c of cases) expect(fs.existsSync(path.join(BAD, c.replace(/\.yaml$/, '.expected')))).toBe(true);
});

test.each(cases)('%s is refused with the expected messages', (name) => {
  const expected = fs.readFileSync(path.join(BAD, name.replace(/\.yaml$/, '.expected')), 'utf8').trimEnd().split('\n');
  const cwd = process.cwd();
  process.chdir(BAD);
  let error: unknown;
  try {
    runPipeline({ inputs: [name] });
  } catch (e) {
    error = e;
  } finally {
    process.chdir(cwd);
  }
  expect(error).toBeInstanceOf(InputError);
  expect((error as InputError).diagnostics.map(formatDiagnostic)).toEqual(expected);
});

test('through the CLI: every problem listed, exit 1, no stack trace, nothing written', () => {
  const out = path.join(tempDir(), 'out');
  const result = cli(['synth', '--input', BAD, '--out', out]);
  expect(result.status).toBe(1);
  expect(result.stderr).not.toMatch(/\n\s+at /);
  expect(result.stderr).toMatch(/error: \d+ problem\(s\) in the input; nothing was written\n$/);
  expect(result.stderr.split('\n').filter((l) => l.startsWith(BAD)).length).toBeGreaterThanOrEqual(25);
  expect(fs.existsSync(out)).toBe(false);
});

test('a run lists at most 50 problems and says how many more there are', () => {
  const many: Record<string, string> = {};
  for (let i = 0; i < 60; i++) many[`s${i}.yaml`] = shoot('garden-qa', `s${i}`, [{ name: 'p', runtimes: [{ type: 'nope' }] }]);
  const result = cli(['validate', '--input', writeFiles(many)]);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('... and 10 more\nerror: 60 problem(s) in the input');
});

test('a file over the size limit is refused before it is parsed', () => {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'huge.yaml'), `# ${'x'.repeat(17 * 1024 * 1024)}\n`);
  const result = cli(['validate', '--input', dir]);
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('huge.yaml:0: file is 17825795 bytes; input files may be at most 16777216 bytes');
});

test('validate writes nothing, and an error leaves an existing output directory as it was', () => {
  const out = tempDir();
  const good = writeFiles({ 'a.yaml': shoot('garden-qa', 'a', [{ name: 'p', runtimes: [{ type: 'gvisor' }] }]) });
  expect(cli(['validate', '--input', good, '--out', out]).status).toBe(0);
  expect(readTree(out)).toEqual({});
  expect(cli(['synth', '--input', good, '--out', out]).status).toBe(0);
  const before = readTree(out);
  expect(cli(['synth', '--input', BAD, '--out', out]).status).toBe(1);
  expect(readTree(out)).toEqual(before);
});
