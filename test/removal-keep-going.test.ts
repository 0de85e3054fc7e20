import * as fs from 'fs';
import * as path from 'path';
import { exceedsGuard } from '../src/output/removal';
import { cli } from './support/cli';
import { readTree, shoot, tempDir, writeFiles } from './support/fixtures';

function garden(count: number, skip: number[] = []): Record<string, string> {
  const files: Record<string, string> = {};
  for (let i = 0; i < count; i++) if (!skip.includes(i)) files[`s${i}.yaml`] = shoot('garden-dev', `s${i}`, [{ name: 'p', runtimes: [{ type: 'gvisor' }] }]);
  return files;
}

function rendered(files: Record<string, string>): string {
  const out = tempDir();
  const result = cli(['synth', '--input', writeFiles(files), '--out', out]);
  if (result.status !== 0) throw new Error(result.stderr);
  return out;
}

describe('the guard against mass removal', () => {
  test('a run that would remove every shoot stops before writing and names them', () => {
    const out = rendered(garden(10));
    const before = readTree(out);
    // What a skipped `kubectl get shoots -o yaml` export looks like to the reader: no Shoot at all.
    const empty = writeFiles({ 'list.yaml': 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n' });
    const result = cli(['synth', '--input', empty, '--out', out]);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('would remove: garden-dev/s0 (its directory, GitOps objects and state)\n');
    expect(result.stderr).toContain('would remove: garden-dev/s9 (its directory, GitOps objects and state)\n');
    expect(result.stderr).toContain('error: this run would remove 10 of the 10 shoots the output holds (the limit is all of them or more than 10%); nothing was written');
    expect(readTree(out)).toEqual(before);

    const plan = cli(['plan', '--input', empty, '--out', out, '--format', 'json']);
    expect(plan.status).toBe(0);
    expect(JSON.parse(plan.stdout).filter((r: any) => r.notes[0]?.startsWith('removed:')).map((r: any) => r.shoot)).toHaveLength(10);
    expect(plan.stderr).toContain('10 of 10 shoots would be removed (synth refuses without --allow-removal)');

    expect(cli(['synth', '--input', empty, '--out', out, '--allow-removal']).status).toBe(0);
    expect(Object.keys(readTree(out)).filter((p) => p.startsWith('shoots/'))).toEqual([]);
  });

  test('10% passes, more is refused; spec.output.allowRemoval lets it through', () => {
    const out = rendered(garden(10));
    expect(cli(['synth', '--input', writeFiles(garden(10, [3])), '--out', out]).status).toBe(0);
    const twoOfNine = cli(['synth', '--input', writeFiles(garden(10, [3, 4, 5])), '--out', out]);
    expect(twoOfNine.status).toBe(1);
    expect(twoOfNine.stderr).toContain('error: this run would remove 2 of the 9 shoots');

    const dir = writeFiles({ ...Object.fromEntries(Object.entries(garden(10, [3, 4, 5])).map(([f, t]) => [`garden/${f}`, t])),
      'pipeline.yaml': `apiVersion: shoot-runtimes.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: g}\nspec:\n  sources: [garden]\n  output: {dir: ${out}, allowRemoval: true}\n` });
    const allowed = cli(['synth', '--config', path.join(dir, 'pipeline.yaml')]);
    expect(allowed.stderr).toContain('2 shoots removed');
    expect(allowed.status).toBe(0);
  });

  test('removing a runtime from a pool that still exists is not a removal of a shoot', () => {
    const out = rendered(garden(1));
    const noRuntime = writeFiles({ 's0.yaml': shoot('garden-dev', 's0', [{ name: 'p' }]) });
    expect(cli(['synth', '--input', noRuntime, '--out', out]).status).toBe(0);
    expect(fs.readFileSync(path.join(out, 'shoots/garden-dev/s0/daemonset-gvisor-p.yaml'), 'utf8')).toContain('uninstall');
  });

  test('the threshold', () => {
    expect(exceedsGuard(0, 0)).toBe(false);
    expect(exceedsGuard(1, 1)).toBe(true);
    expect(exceedsGuard(1, 10)).toBe(false);
    expect(exceedsGuard(2, 10)).toBe(true);
    expect(exceedsGuard(10, 100)).toBe(false);
    expect(exceedsGuard(11, 100)).toBe(true);
  });
});

describe('synth --keep-going', () => {
  const A = (debug: boolean) => shoot('garden-dev', 'a', [{ name: 'p', runtimes: [{ type: 'gvisor', ...(debug ? { providerConfig: { configFlags: { debug: 'true' } } } : {}) }] }]);
  const B = (type: string) => shoot('garden-dev', 'b', [{ name: 'p', runtimes: [{ type }] }]);
  const C = shoot('garden-dev', 'c', [{ name: 'p', runtimes: [{ type: 'kata' }] }]);

  test('renders the valid shoots, keeps an invalid shoot\'s last output byte for byte, prints its problems and exits 3', () => {
    const out = rendered({ 'a.yaml': A(false), 'b.yaml': B('gvisor'), 'c.yaml': C });
    const before = readTree(out);
    const input = writeFiles({ 'a.yaml': A(true), 'b.yaml': B('rocket'), 'c.yaml': C });

    const strict = cli(['synth', '--input', input, '--out', out]);
    expect(strict.status).toBe(1);
    expect(readTree(out)).toEqual(before);

    const result = cli(['synth', '--input', input, '--out', out, '--keep-going']);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain('Shoot garden-dev/b: spec.provider.workers[0].cri.containerRuntimes[0].type: unknown runtime type "rocket"');
    expect(result.stderr).toContain('1 shoots kept their last output');
    expect(result.stderr).toContain('error: 1 shoot(s) kept their last output because of the problems above: garden-dev/b');
    const after = readTree(out);
    const ofB = (tree: Record<string, string>) => Object.fromEntries(Object.entries(tree).filter(([p]) => p.includes('garden-dev/b')));
    expect(ofB(after)).toEqual(ofB(before));
    expect(Object.keys(ofB(after)).length).toBeGreaterThan(3);
    expect(after['shoots/garden-dev/a/daemonset-gvisor-p.yaml']).not.toBe(before['shoots/garden-dev/a/daemonset-gvisor-p.yaml']);
    // b's files stay in the ownership record with their hashes: a later valid run updates them normally.
    const record = JSON.parse(after['.shoot-runtimes/owned.json']).files;
    expect(Object.keys(record).filter((p) => p.includes('garden-dev/b'))).toEqual(Object.keys(ofB(after)).sort());

    const check = cli(['check', '--input', input, '--out', out, '--keep-going']);
    expect(check.stdout).toBe('kept: garden-dev/b (its input has problems; its last output stays as it is)\n');
    expect(check.status).toBe(3);
    expect(cli(['check', '--input', input, '--out', out]).status).toBe(1);

    const fixed = writeFiles({ 'a.yaml': A(true), 'b.yaml': B('gvisor'), 'c.yaml': C });
    expect(cli(['synth', '--input', fixed, '--out', out, '--keep-going']).status).toBe(0);
    expect(cli(['check', '--input', fixed, '--out', out]).status).toBe(0);
  });

  test('a problem that belongs to no one shoot keeps the run all or nothing', () => {
    const out = rendered({ 'a.yaml': A(false), 'b.yaml': B('gvisor') });
    const before = readTree(out);
    const input = writeFiles({ 'a.yaml': A(true), 'b.yaml': B('rocket'), 'broken.yaml': 'kind: [\n' });
    const result = cli(['synth', '--input', input, '--out', out, '--keep-going']);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('invalid YAML');
    expect(readTree(out)).toEqual(before);
  });

  test('a kept shoot stays in the Argo CD ApplicationSet', () => {
    const pipeline = (dir: string) => `apiVersion: shoot-runtimes.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: g}\nspec:\n  sources: [garden]\n  output: {dir: out}\n`
      + `  gitops:\n    pathPrefix: out\n    argocd: {repoURL: r, targetRevision: main, applicationSet: true}\n${dir}`;
    const dir = writeFiles({ 'garden/a.yaml': A(false), 'garden/b.yaml': B('gvisor'), 'pipeline.yaml': pipeline('') });
    expect(cli(['synth', '--config', path.join(dir, 'pipeline.yaml')]).status).toBe(0);
    const set = fs.readFileSync(path.join(dir, 'out/argocd/applicationset.yaml'), 'utf8');
    fs.writeFileSync(path.join(dir, 'garden/b.yaml'), B('rocket'));
    fs.writeFileSync(path.join(dir, 'garden/a.yaml'), A(true));
    expect(cli(['synth', '--config', path.join(dir, 'pipeline.yaml'), '--keep-going']).status).toBe(3);
    expect(fs.readFileSync(path.join(dir, 'out/argocd/applicationset.yaml'), 'utf8')).toBe(set);
  });

  test('a kept shoot\'s pending uninstalls keep their run counts', () => {
    const both = shoot('garden-dev', 'b', [{ name: 'p', runtimes: [{ type: 'gvisor' }, { type: 'kata' }] }]);
    const kataOnly = shoot('garden-dev', 'b', [{ name: 'p', runtimes: [{ type: 'kata' }] }]);
    const dir = writeFiles({ 'garden/a.yaml': A(false), 'garden/b.yaml': both,
      'pipeline.yaml': 'apiVersion: shoot-runtimes.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: g}\nspec:\n  sources: [garden]\n  output: {dir: out}\n  uninstall: {retireAfterRuns: 5}\n' });
    const config = path.join(dir, 'pipeline.yaml');
    const runs = () => fs.readFileSync(path.join(dir, 'out/.shoot-runtimes/uninstall-runs.json'), 'utf8');
    expect(cli(['synth', '--config', config]).status).toBe(0);
    fs.writeFileSync(path.join(dir, 'garden/b.yaml'), kataOnly);
    expect(cli(['synth', '--config', config]).status).toBe(0);
    const counted = runs();
    expect(JSON.parse(counted)).toEqual({ 'garden-dev/b/p/gvisor': 1 });
    fs.writeFileSync(path.join(dir, 'garden/b.yaml'), B('rocket'));
    fs.writeFileSync(path.join(dir, 'garden/a.yaml'), A(true));
    expect(cli(['synth', '--config', config, '--keep-going']).status).toBe(3);
    expect(runs()).toBe(counted);
  });
});
