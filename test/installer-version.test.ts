import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import {
  checkTree, inShard, installerFiles, installerVersion, prepareRun, renderRun, shardName, writeTree,
} from '../src';
import { OutputTree } from '../src/output/tree';
import { kustomizeObjects, readTree, shoot, tempDir, writeFiles } from './support/fixtures';

const OLD = installerFiles();
const NEW = { ...OLD, 'install.sh': `${OLD['install.sh']}# a new line\n` };
const [OLD_V, NEW_V] = [installerVersion(OLD), installerVersion(NEW)];

const garden: Record<string, string> = {};
for (let i = 0; i < 8; i++) garden[`s${i}.yaml`] = shoot(`garden-p${i % 2}`, `shoot-${i}`, [{ name: 'p', runtimes: [{ type: 'gvisor' }] }, { name: 'q', runtimes: [{ type: 'kata' }] }]);
garden['plain.yaml'] = shoot('garden-p0', 'plain', [{ name: 'default' }]);

/** synth through the library with the given installer files: `shard` as `I/N`. */
function synth(input: string, out: string, files: Record<string, string>, shard?: { index: number; count: number }) {
  const prepared = prepareRun({ inputs: [input], installerFiles: files });
  const rendered = renderRun(prepared, { select: shard && ((s) => inShard(shard, s)) });
  return writeTree(OutputTree.open(out, true), rendered, { shard: shard && shardName(shard) });
}

function check(input: string, out: string, files: Record<string, string>, shard?: { index: number; count: number }): string[] {
  const prepared = prepareRun({ inputs: [input], installerFiles: files });
  return checkTree(OutputTree.open(out, false), renderRun(prepared, { select: shard && ((s) => inShard(shard, s)) }), { shard: shard && shardName(shard) });
}

const installerDirs = (out: string) => fs.readdirSync(path.join(out, 'installer')).sort();

test('the output holds one copy of the installer, which every shoot with installers references and kustomize resolves', () => {
  const input = writeFiles(garden);
  const out = tempDir();
  synth(input, out, OLD);
  expect(installerDirs(out)).toEqual([OLD_V]);
  const tree = readTree(out);
  expect(Object.keys(tree).filter((p) => p.includes('configmap-'))).toEqual([`installer/${OLD_V}/configmap-shoot-runtimes-installer-${OLD_V}.yaml`]);
  expect(tree['shoots/garden-p0/plain/kustomization.yaml']).toContain('resources: []');
  const objects = kustomizeObjects(path.join(out, 'shoots/garden-p1/shoot-1'));
  expect(objects[`ConfigMap/shoot-runtimes-installer-${OLD_V}`].data).toEqual(OLD);
  expect(objects['DaemonSet/kata-q'].spec.template.spec.volumes[0].configMap.name).toBe(`shoot-runtimes-installer-${OLD_V}`);
});

test('a new install.sh is one new installer directory, one changed line per DaemonSet and per kustomization; the old version leaves', () => {
  const input = writeFiles(garden);
  const out = tempDir();
  synth(input, out, OLD);
  const git = (...args: string[]) => execFileSync('git', ['-C', out, '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { encoding: 'utf8' });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-q', '-m', 'old installer');
  expect(check(input, out, NEW)).toEqual(expect.arrayContaining([
    `missing: installer/${NEW_V}/kustomization.yaml`,
    `extra: installer/${OLD_V}/kustomization.yaml (no longer produced)`,
  ]));

  synth(input, out, NEW);
  expect(installerDirs(out)).toEqual([NEW_V]);
  git('add', '-A');
  const numstat = git('diff', '--cached', '--numstat', '-M')
    .trim().split('\n').map((l) => l.split('\t')).filter(([, , p]) => !p.startsWith('.shoot-runtimes/'));
  const changed = (re: RegExp) => numstat.filter(([, , p]) => re.test(p));
  // Every DaemonSet and kustomization of a shoot with installers: exactly one line replaced.
  expect(changed(/daemonset-/)).toHaveLength(16);
  expect(changed(/shoots\/.*daemonset-|shoots\/.*kustomization/).every(([added, removed]) => added === '1' && removed === '1')).toBe(true);
  expect(changed(/shoots\/.*kustomization/)).toHaveLength(8);
  // The installer directory moves (a rename with the new line in the script) and nothing else changes.
  expect(numstat.filter(([, , p]) => !p.startsWith('shoots/'))).toHaveLength(2);
  expect(check(input, out, NEW)).toEqual([]);
});

test('shards share an installer version: each names it, and the last shard that drops it removes it', () => {
  const input = writeFiles(garden);
  const out = tempDir();
  const shards = [{ index: 1, count: 2 }, { index: 2, count: 2 }];
  for (const s of shards) synth(input, out, OLD, s);
  const full = tempDir();
  synth(input, full, OLD);
  const withoutRecords = (t: Record<string, string>) => Object.fromEntries(Object.entries(t).filter(([p]) => !p.startsWith('.shoot-runtimes/owned')));
  expect(withoutRecords(readTree(out))).toEqual(withoutRecords(readTree(full)));
  for (const s of shards) {
    const record = JSON.parse(fs.readFileSync(path.join(out, `.shoot-runtimes/owned.${shardName(s)}.json`), 'utf8'));
    expect(Object.keys(record.files)).toContain(`installer/${OLD_V}/kustomization.yaml`);
  }

  // Shard 1 moves to the new script; shard 2's shoots still use the old one, so it stays.
  synth(input, out, NEW, shards[0]);
  expect(installerDirs(out)).toEqual([OLD_V, NEW_V].sort());
  expect(check(input, out, NEW, shards[0])).toEqual([]);
  expect(check(input, out, OLD, shards[1])).toEqual([]);
  // Shard 2 moves too: no record names the old version any more, and it leaves the tree.
  synth(input, out, NEW, shards[1]);
  expect(installerDirs(out)).toEqual([NEW_V]);
  for (const s of shards) expect(check(input, out, NEW, s)).toEqual([]);
});
