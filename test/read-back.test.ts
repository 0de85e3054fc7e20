import * as fs from 'fs';
import * as path from 'path';
import { setQuiet } from '../src/cli/format';
import { synthesize } from '../src/cli/cmds/synth';
import { resolveRunOptions } from '../src/cli/run-options';
import { Fingerprints } from '../src/output/fingerprints';
import { readRecords, recordPath } from '../src/output/ownership';
import { ReadBack, ReadBackResult, readBack, readBackNow } from '../src/output/read-back';
import { OutputTree } from '../src/output/tree';
import { shoot, tempDir, writeFiles } from './support/fixtures';

// Reading back the last output (incremental synth's proof that a shoot's files are unchanged),
// in a worker thread or in the calling one.

beforeAll(() => setQuiet(true));

function synthesized(): { input: string; out: string } {
  const files: Record<string, string> = {};
  for (let i = 0; i < 3; i++) files[`s${i}.yaml`] = shoot('garden-p', `s${i}`, [{ name: 'a', runtimes: [{ type: 'gvisor' }] }, { name: 'b', runtimes: [{ type: 'kata' }] }]);
  const input = writeFiles(files);
  const out = tempDir();
  synthesize(resolveRunOptions({ input: [input], out }), 'synth', false);
  return { input, out };
}

const RECORD = recordPath();

test('every shoot whose files are as recorded has a digest; an edited, missing or linked file takes its shoot out', () => {
  const { out } = synthesized();
  const tree = new OutputTree(out);
  const all = readBack(tree, RECORD);
  expect([...all.shoots.keys()]).toEqual(['garden-p/s0', 'garden-p/s1', 'garden-p/s2']);
  expect(all.recordDigest).toMatch(/^[0-9a-f]{64}$/);

  fs.appendFileSync(path.join(out, 'shoots/garden-p/s0/daemonset-gvisor-a.yaml'), '# edited\n');
  fs.rmSync(path.join(out, '.shoot-runtimes/installed/garden-p/s1.json'));
  const ds = path.join(out, 'shoots/garden-p/s2/daemonset-kata-b.yaml');
  fs.renameSync(ds, `${ds}.real`);
  fs.symlinkSync(`${ds}.real`, ds);
  const after = readBack(new OutputTree(out), RECORD);
  expect([...after.shoots.keys()]).toEqual([]);
  // The same record: the same digest of it.
  expect(after.recordDigest).toBe(all.recordDigest);
});

test('a record naming paths outside the layout, or no JSON at all, proves nothing and reads nothing else', () => {
  const { out } = synthesized();
  const recordFile = path.join(out, RECORD);
  const record = JSON.parse(fs.readFileSync(recordFile, 'utf8'));
  record.files['../victim.yaml'] = record.files['shoots/garden-p/s0/kustomization.yaml'];
  record.files['shoots/garden-p/s0/../../../victim.yaml'] = record.files['shoots/garden-p/s0/kustomization.yaml'];
  fs.writeFileSync(recordFile, JSON.stringify(record));
  const tree = new OutputTree(out);
  const reads: string[] = [];
  const read = tree.read.bind(tree);
  tree.read = (rel: string) => { reads.push(rel); return read(rel); };
  expect([...readBack(tree, RECORD).shoots.keys()]).toHaveLength(3);
  expect(reads.filter((r) => r.includes('victim'))).toEqual([]);
  fs.writeFileSync(recordFile, '{ not json');
  expect(readBack(new OutputTree(out), RECORD).shoots.size).toBe(0);
  fs.rmSync(recordFile);
  expect(readBack(new OutputTree(out), RECORD)).toEqual({ recordDigest: '', shoots: new Map() });
});

test('the worker thread reads back what the calling thread would', () => {
  const { out } = synthesized();
  fs.appendFileSync(path.join(out, 'shoots/garden-p/s1/daemonset-kata-b.yaml'), '# edited\n');
  const worker = ReadBack.start(out);
  expect(worker).toBeDefined();
  // Maps from the worker belong to another realm than jest's: compared as plain objects.
  const plain = (r: ReadBackResult) => ({ ...r, shoots: Object.fromEntries(r.shoots) });
  const fromWorker = plain(worker!.result());
  expect(fromWorker).toEqual(plain(readBack(new OutputTree(out), RECORD)));
  expect(Object.keys(fromWorker.shoots)).toEqual(['garden-p/s0', 'garden-p/s2']);
  expect(ReadBack.start(tempDir())).toBeUndefined();
});

test('a worker that stops before it says anything is not waited for: the run reads back itself', async () => {
  const { out } = synthesized();
  const started = ReadBack.start(out, undefined, 200)!;
  // Killed at once: none of its JavaScript runs, so neither a result nor its exit handler says so.
  await (started as unknown as { worker: { terminate(): Promise<number> } }).worker.terminate();
  const before = Date.now();
  const plain = (r: ReadBackResult) => ({ ...r, shoots: Object.fromEntries(r.shoots) });
  expect(plain(started.result())).toEqual(plain(readBack(new OutputTree(out), RECORD)));
  expect(Date.now() - before).toBeLessThan(2000);
});

test('what a worker read back from another record counts for nothing: the run reads back itself', () => {
  const { out } = synthesized();
  const tree = new OutputTree(out);
  const before = readBack(tree, RECORD);
  fs.appendFileSync(path.join(out, 'shoots/garden-p/s0/daemonset-gvisor-a.yaml'), '# edited\n');
  const started = (recordDigest: string) => ({ result: () => ({ ...before, recordDigest }) }) as unknown as ReadBack;
  // Read back for this very record (before the edit; in a real run the lock keeps edits out): taken as it is.
  expect(readBackNow(tree, undefined, started(before.recordDigest)).shoots.has('garden-p/s0')).toBe(true);
  // For another record: ignored, read back again, and the edit is seen.
  const again = readBackNow(tree, undefined, started('0'.repeat(64)));
  expect([...again.shoots.keys()]).toEqual(['garden-p/s1', 'garden-p/s2']);
});

test('a shoot is reused only when its fingerprint and the digest of its files on disk agree with its last rendering', () => {
  const { out } = synthesized();
  const tree = new OutputTree(out);
  const saved = JSON.parse(fs.readFileSync(path.join(out, '.shoot-runtimes/fingerprints.json'), 'utf8')).shoots;
  fs.appendFileSync(path.join(out, 'shoots/garden-p/s0/daemonset-gvisor-a.yaml'), '# edited\n');
  const owned = readRecords(tree).owned;
  const fingerprints = new Fingerprints(tree, owned, readBack(tree, RECORD).shoots);
  expect(fingerprints.reuse('garden-p/s0', saved['garden-p/s0'].fingerprint)).toBeUndefined();
  expect(fingerprints.reuse('garden-p/s1', '0'.repeat(64))).toBeUndefined();
  const files = fingerprints.reuse('garden-p/s1', saved['garden-p/s1'].fingerprint)!;
  expect(files.map((f) => f.path)).toEqual([...owned.keys()].filter((rel) => rel.includes('garden-p/s1')).sort());
  const kustomization = files.find((f) => f.path.endsWith('kustomization.yaml'))!;
  expect(kustomization.content).toBe(fs.readFileSync(path.join(out, kustomization.path), 'utf8'));
});

test('a re-run with and without worker threads changes nothing', () => {
  const { input, out } = synthesized();
  for (const threads of ['1', '2']) {
    process.env.SHOOT_RUNTIMES_THREADS = threads;
    try {
      const before = fs.readFileSync(path.join(out, RECORD), 'utf8');
      synthesize(resolveRunOptions({ input: [input], out }), 'synth', false);
      expect(fs.readFileSync(path.join(out, RECORD), 'utf8')).toBe(before);
    } finally {
      delete process.env.SHOOT_RUNTIMES_THREADS;
    }
  }
});
