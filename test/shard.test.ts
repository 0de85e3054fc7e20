import * as fs from 'fs';
import * as path from 'path';
import { inShard, parseShard } from '../src';
import { cli } from './support/cli';
import { readTree, shoot, tempDir, writeFiles } from './support/fixtures';

const garden: Record<string, string> = {};
for (let i = 0; i < 12; i++) garden[`s${i}.yaml`] = shoot(`garden-p${i % 3}`, `shoot-${i}`, [{ name: 'p', runtimes: [{ type: 'gvisor' }] }]);

function pipeline(dir: string): string {
  return writeFiles({
    'pipeline.yaml': ['apiVersion: shoot-runtimes.dev/v1alpha1', 'kind: Pipeline', 'metadata: {name: s}', 'spec:',
      `  sources: [${dir}]`, '  gitops:', '    pathPrefix: out', '    flux: {sourceRef: {name: fleet}}',
      '    argocd: {repoURL: r, targetRevision: main, applicationSet: true}'].join('\n'),
  });
}

const withoutState = (tree: Record<string, string>) => Object.fromEntries(Object.entries(tree).filter(([p]) => !/^\.shoot-runtimes\/(owned|fingerprints)/.test(p)));

test('shard I/N parses and every shoot lands in exactly one shard', () => {
  expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
  for (const bad of ['0/4', '5/4', '1', 'a/b', '1/0']) expect(parseShard(bad)).toBeUndefined();
  for (let i = 0; i < 50; i++) {
    const s = { projectNamespace: 'garden-x', name: `s${i}` };
    expect([1, 2, 3].filter((index) => inShard({ index, count: 3 }, s))).toHaveLength(1);
  }
});

test('the union of all shards equals a full run, and shards never delete each other\'s files', () => {
  const config = path.join(pipeline(writeFiles(garden)), 'pipeline.yaml');
  const full = tempDir();
  expect(cli(['synth', '--config', config, '--out', full]).status).toBe(0);

  const sharded = tempDir();
  const counts: number[] = [];
  for (const s of ['1/3', '2/3', '3/3']) {
    const result = cli(['synth', '--config', config, '--out', sharded, '--shard', s]);
    expect(result.status).toBe(0);
    counts.push(Number(/(\d+) files written/.exec(result.stderr)![1]));
  }
  expect(counts.every((n) => n > 0)).toBe(true);
  expect(withoutState(readTree(sharded))).toEqual(withoutState(readTree(full)));
  expect(Object.keys(readTree(sharded)).filter((p) => p.startsWith('.shoot-runtimes/owned')).sort()).toEqual([
    '.shoot-runtimes/owned.shard-1-of-3.json', '.shoot-runtimes/owned.shard-2-of-3.json', '.shoot-runtimes/owned.shard-3-of-3.json',
  ]);
  // Running a shard again changes nothing, and each shard's check passes on its own.
  for (const s of ['1/3', '2/3', '3/3']) {
    expect(cli(['synth', '--config', config, '--out', sharded, '--shard', s]).stderr).toContain(' 0 files written');
    expect(cli(['check', '--config', config, '--out', sharded, '--shard', s]).status).toBe(0);
  }
});

test('check --shard compares only that shard\'s files', () => {
  const config = path.join(pipeline(writeFiles(garden)), 'pipeline.yaml');
  const out = tempDir();
  expect(cli(['synth', '--config', config, '--out', out, '--shard', '1/2']).status).toBe(0);
  expect(cli(['check', '--config', config, '--out', out, '--shard', '1/2']).status).toBe(0);
  const other = cli(['check', '--config', config, '--out', out, '--shard', '2/2']);
  expect(other.status).toBe(1);
  expect(other.stdout).toMatch(/^missing: /m);
});

test('a bad --shard is a usage error', () => {
  const result = cli(['synth', '--input', writeFiles(garden), '--out', tempDir(), '--shard', '4/3']);
  expect(result.status).toBe(2);
  expect(result.stderr).toContain('--shard takes I/N with 1 <= I <= N, not "4/3"');
});

test('changing the shard count, together with a fleet change, rewrites the files other shard records own', () => {
  const input = writeFiles(garden);
  const config = path.join(pipeline(input), 'pipeline.yaml');
  const out = tempDir();
  for (const s of ['1/2', '2/2']) expect(cli(['synth', '--config', config, '--out', out, '--shard', s]).status).toBe(0);
  // Every shoot's flags change, and the fleet is now split in three.
  for (let i = 0; i < 12; i++) {
    fs.writeFileSync(path.join(input, `s${i}.yaml`), shoot(`garden-p${i % 3}`, `shoot-${i}`, [
      { name: 'p', runtimes: [{ type: 'gvisor', providerConfig: { configFlags: { debug: 'true' } } }] },
    ]));
  }
  for (const s of ['1/3', '2/3', '3/3']) {
    const result = cli(['synth', '--config', config, '--out', out, '--shard', s]);
    expect(result.stderr).toContain('synth:');
    expect(result.status).toBe(0);
  }
  const full = tempDir();
  expect(cli(['synth', '--config', config, '--out', full]).status).toBe(0);
  expect(withoutState(readTree(out))).toEqual(withoutState(readTree(full)));
});

test('a shard\'s summary counts the shard\'s shoots', () => {
  const config = path.join(pipeline(writeFiles(garden)), 'pipeline.yaml');
  const out = tempDir();
  const counts = ['1/3', '2/3', '3/3'].map((s) => Number(/synth: (\d+) shoots/.exec(cli(['synth', '--config', config, '--out', out, '--shard', s]).stderr)![1]));
  expect(counts.reduce((a, b) => a + b, 0)).toBe(12);
});
