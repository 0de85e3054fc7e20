import * as fs from 'fs';
import * as path from 'path';
import * as fc from 'fast-check';
import { Fingerprints } from '../src/output/fingerprints';
import { writeTree } from '../src/output/write';
import { prepareRun, renderRun } from '../src/pipeline/run';
import { setQuiet } from '../src/cli/format';
import { synthesize } from '../src/cli/cmds/synth';
import { resolveRunOptions } from '../src/cli/run-options';
import { checkCommand } from '../src/cli/cmds/check';
import { OutputTree } from '../src/output/tree';
import { readRecords, recordPath } from '../src/output/ownership';
import { readBack } from '../src/output/read-back';
import { readTree, shoot, tempDir, writeFiles } from './support/fixtures';

/** A shoot of the test fleet: which runtimes each of its two pools has, and gVisor's flag. */
interface ShootSpec { a: string[]; b: string[]; debug: boolean }

const TYPES = ['gvisor', 'kata', 'spin'];
const spec = fc.record({
  a: fc.subarray(TYPES),
  b: fc.subarray(TYPES.slice(0, 2)),
  debug: fc.boolean(),
});

function shootFile(i: number, s: ShootSpec): string {
  const runtimes = (types: string[]) => types.map((type) => (type === 'gvisor' && s.debug ? { type, providerConfig: { configFlags: { debug: 'true' } } } : { type }));
  return shoot(`garden-p${i % 3}`, `s${i}`, [{ name: 'a', runtimes: runtimes(s.a) }, { name: 'b', runtimes: runtimes(s.b), taints: [{ key: 'k', value: 'v', effect: 'NoSchedule' }] }]);
}

/** The synth command, in this process (a CLI process per run would make the property slow). */
// Uninstallers retire after one run: a shoot's state then changes while its input does not.
const synth = (input: string, out: string) => synthesize({ ...resolveRunOptions({ input: [input], out }), retireAfterRuns: 1, allowRemoval: true }, 'synth', false);

test('incremental synth writes, run after run of random edits, exactly what a full render writes', () => {
  setQuiet(true);
  // A fleet of 8 shoots, then 4 rounds of edits (a shoot changes, leaves or arrives). Each round
  // runs synth on the tree, and on a copy of it without the fingerprints (a full render).
  fc.assert(fc.property(fc.array(spec, { minLength: 8, maxLength: 8 }), fc.array(fc.tuple(fc.nat(9), fc.option(spec)), { minLength: 4, maxLength: 4 }), (fleet, edits) => {
    const input = tempDir();
    const incremental = tempDir();
    const write = (i: number, s: ShootSpec | null) => {
      const file = path.join(input, `s${i}.yaml`);
      if (s) fs.writeFileSync(file, shootFile(i, s)); else fs.rmSync(file, { force: true });
    };
    fleet.forEach((s, i) => write(i, s));
    synth(input, incremental);
    for (const [i, s] of edits) {
      write(i, s);
      const full = tempDir();
      fs.cpSync(incremental, full, { recursive: true });
      fs.rmSync(path.join(full, '.shoot-runtimes/fingerprints.json'));
      synth(input, incremental);
      synth(input, full);
      // The same files, ownership record, installed states (uninstalls included) and fingerprints.
      expect(readTree(incremental)).toEqual(readTree(full));
      expect(() => checkCommand.handler({ input: [input], out: incremental } as never)).not.toThrow();
    }
  }), { numRuns: Number(process.env.PROPERTY_RUNS ?? 5) });
});

test('a re-run renders only the shoots whose input changed, and a file changed by hand is rendered again', () => {
  const files: Record<string, string> = {};
  for (let i = 0; i < 6; i++) files[`s${i}.yaml`] = shootFile(i, { a: ['gvisor'], b: ['kata'], debug: false });
  const input = writeFiles(files);
  const out = tempDir();
  const fingerprints = () => JSON.parse(fs.readFileSync(path.join(out, '.shoot-runtimes/fingerprints.json'), 'utf8')).shoots;
  const renders: string[] = [];
  const run = () => {
    const tree = OutputTree.open(out, true);
    const store = new Fingerprints(tree, readRecords(tree).owned, readBack(tree, recordPath()).shoots);
    const reused = new Set<string>();
    renders.length = 0;
    writeTree(tree, renderRun(prepareRun({ inputs: [input] }), {
      reuse: (key, fp) => {
        const found = store.reuse(key, fp);
        if (found) reused.add(key);
        return found;
      },
      onShootFiles: (key, fp, shootFiles) => {
        if (!reused.has(key)) renders.push(key);
        store.record(key, fp, shootFiles);
      },
    }));
    store.save();
  };
  run();
  expect(renders).toHaveLength(6);
  run();
  expect(renders).toEqual([]);
  // Where a Shoot was read is no part of what it renders: moved down its file, it is not rendered again.
  fs.writeFileSync(path.join(input, 's3.yaml'), `# moved down\n\n\n${fs.readFileSync(path.join(input, 's3.yaml'), 'utf8')}`);
  run();
  expect(renders).toEqual([]);
  fs.writeFileSync(path.join(input, 's4.yaml'), shootFile(4, { a: ['gvisor'], b: ['kata'], debug: true }));
  run();
  expect(renders).toEqual(['garden-p1/s4']);
  const ds = path.join(out, 'shoots/garden-p2/s2/daemonset-kata-b.yaml');
  fs.writeFileSync(ds, 'edited by hand\n');
  run();
  expect(renders).toEqual(['garden-p2/s2']);
  expect(fs.readFileSync(ds, 'utf8')).toContain('kind: DaemonSet');
  // The record no longer names one of a shoot's files: the fingerprint proves nothing then.
  const recordFile = path.join(out, '.shoot-runtimes/owned.json');
  const record = JSON.parse(fs.readFileSync(recordFile, 'utf8'));
  delete record.files['shoots/garden-p1/s1/runtimeclass-gvisor-a.yaml'];
  fs.writeFileSync(recordFile, `${JSON.stringify(record, null, 2)}\n`);
  run();
  expect(renders).toEqual(['garden-p1/s1']);
  expect(JSON.parse(fs.readFileSync(recordFile, 'utf8')).files).toHaveProperty(['shoots/garden-p1/s1/runtimeclass-gvisor-a.yaml']);
  expect(Object.keys(fingerprints())).toHaveLength(6);
  // Per shoot, the state holds a fingerprint and one digest of its files, not every file's hash again.
  expect(Object.values(fingerprints()).every((e) => /^[0-9a-f]{64}$/.test((e as { files: string }).files))).toBe(true);
});
