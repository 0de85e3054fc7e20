import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { OutputTree, isOutputPath } from '../src/output/tree';
import { writeTree } from '../src/output/write';
import { tempDir } from './support/fixtures';

// The output tree's reads and writes: what a proof of unchanged files and the staging writes rely on.

function treeWith(files: Record<string, string>): { root: string; tree: OutputTree } {
  const root = tempDir();
  for (const [rel, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), content);
  }
  return { root, tree: new OutputTree(root) };
}

test('read gives a regular file\'s text, whatever its size, and nothing for what is absent', () => {
  const big = 'x'.repeat(300_000);
  const { tree } = treeWith({ 'shoots/p/s/a.yaml': 'a: 1\n', 'shoots/p/s/big.yaml': big, 'shoots/p/s/empty.yaml': '' });
  expect(tree.read('shoots/p/s/a.yaml')).toBe('a: 1\n');
  expect(tree.read('shoots/p/s/big.yaml')).toBe(big);
  // After a large file, a small one is not padded with the earlier bytes.
  expect(tree.read('shoots/p/s/a.yaml')).toBe('a: 1\n');
  expect(tree.read('shoots/p/s/empty.yaml')).toBe('');
  expect(tree.read('shoots/p/s/missing.yaml')).toBeUndefined();
  expect(tree.read('shoots/p/none/a.yaml')).toBeUndefined();
  // A file where a directory would be is no directory to read through.
  expect(tree.read('shoots/p/s/a.yaml/b.yaml')).toBeUndefined();
});

test('read never follows a link, at the file or on the way, even after the directory was read from', () => {
  const { root, tree } = treeWith({ 'shoots/p/s/a.yaml': 'a\n', 'outside/secret.yaml': 'secret\n', 'outside/d/a.yaml': 'other\n' });
  fs.symlinkSync(path.join(root, 'outside/secret.yaml'), path.join(root, 'shoots/p/s/link.yaml'));
  fs.symlinkSync(path.join(root, 'outside/d'), path.join(root, 'shoots/p/t'));
  expect(tree.read('shoots/p/s/a.yaml')).toBe('a\n');
  expect(tree.read('shoots/p/s/link.yaml')).toBeUndefined();
  expect(tree.read('shoots/p/t/a.yaml')).toBeUndefined();
  expect(tree.obstacle('shoots/p/s/link.yaml')?.problem).toMatch(/^is a symbolic link to .*secret\.yaml; shoot-runtimes does not follow links/);
  expect(tree.obstacle('shoots/p/t/a.yaml')).toMatchObject({ path: 'shoots/p/t' });
});

test('read gives nothing for a directory or a FIFO, and never waits on the FIFO', () => {
  const { root, tree } = treeWith({ 'shoots/p/s/a.yaml': 'a\n' });
  fs.mkdirSync(path.join(root, 'shoots/p/s/dir.yaml'));
  execFileSync('mkfifo', [path.join(root, 'shoots/p/s/pipe.yaml')]);
  expect(tree.read('shoots/p/s/dir.yaml')).toBeUndefined();
  expect(tree.read('shoots/p/s/pipe.yaml')).toBeUndefined();
});

test('paths must be relative and normalized', () => {
  const { root, tree } = treeWith({});
  for (const bad of ['', '.', '..', '/etc/passwd', '../x', 'a/../b', 'a/./b', './a', 'a//b', 'a/', 'a/..']) {
    expect(() => tree.abs(bad)).toThrow(/refusing a path outside the output directory/);
  }
  expect(tree.abs('a/.b/c..')).toBe(path.join(root, 'a/.b/c..'));
  expect(new OutputTree(`${root}/`).abs('a')).toBe(path.join(root, 'a'));
});

test('a staged write creates a new file and never writes through a link or over a file', () => {
  const { root, tree } = treeWith({ 'outside/target.yaml': 'keep\n', 'staging/old.yaml': 'old\n' });
  fs.symlinkSync(path.join(root, 'outside/target.yaml'), path.join(root, 'staging/link.yaml'));
  tree.writeFile('staging/new/a.yaml', 'new\n');
  expect(fs.readFileSync(path.join(root, 'staging/new/a.yaml'), 'utf8')).toBe('new\n');
  expect(() => tree.writeFile('staging/link.yaml', 'x')).toThrow(/EEXIST/);
  expect(() => tree.writeFile('staging/old.yaml', 'x')).toThrow(/EEXIST/);
  expect(fs.readFileSync(path.join(root, 'outside/target.yaml'), 'utf8')).toBe('keep\n');
});

test('only normalized paths of the output layout are output paths', () => {
  for (const good of ['shoots/p/s/a.yaml', 'shoots/p/s/..yaml', 'installer/0123456789/configmap-x.yaml', '.shoot-runtimes/installed/p/s.json', 'flux/p/s.yaml', 'argocd/applicationset.yaml', 'garden/x.yaml']) {
    expect([good, isOutputPath(good)]).toEqual([good, true]);
  }
  for (const bad of ['shoots/p/../s/a.yaml', 'shoots/../p/s.yaml', 'shoots/./s/a.yaml', 'shoots/p//s/a.yaml', 'shoots//p/s/a.yaml', '/shoots/p/s/a.yaml',
    'shoots/p/s/a.yml', 'shoots/p/s/t/a.yaml', '../victim.txt', 'shoots/p/s/a.yaml/', '.shoot-runtimes/owned.json', '.shoot-runtimes/installed/../s.json',
    'shoots/p/s\n/a.yaml', 'installer/0123456789/../x.yaml', 'flux/_artifactgenerators/../p.yaml']) {
    expect([bad, isOutputPath(bad)]).toEqual([bad, false]);
  }
});

test('new directories, nested or beside existing ones, are written whole, and a second run changes nothing', () => {
  const root = tempDir();
  fs.mkdirSync(path.join(root, 'shoots/p/old'), { recursive: true });
  const files = [
    // A new directory holding a file and a new directory of its own, written in both orders.
    { path: 'argocd/p/s.yaml', content: 'a: 1\n' },
    { path: 'argocd/applicationset.yaml', content: 'b: 2\n' },
    { path: 'flux/_artifactgenerators/p/g.yaml', content: 'c: 3\n' },
    { path: 'flux/_artifactgenerators/q.yaml', content: 'd: 4\n' },
    // New shoot directories beside an existing one, and a file in the existing one.
    { path: 'shoots/p/new/a.yaml', content: 'e: 5\n' },
    { path: 'shoots/p/new/b.yaml', content: 'f: 6\n' },
    { path: 'shoots/p/old/c.yaml', content: 'g: 7\n' },
    { path: 'shoots/q/s/d.yaml', content: 'h: 8\n' },
  ];
  expect(writeTree(OutputTree.open(root, true), files)).toMatchObject({ written: 8, unchanged: 0 });
  for (const f of files) expect(fs.readFileSync(path.join(root, f.path), 'utf8')).toBe(f.content);
  expect(fs.readdirSync(path.join(root, '.shoot-runtimes'))).toEqual(['owned.json']);
  expect(writeTree(OutputTree.open(root, true), files)).toMatchObject({ written: 0, unchanged: 8 });
});
