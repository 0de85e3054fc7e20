import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { InputError, runPipeline } from '../src';
import { cli } from './support/cli';
import { readTree, tempDir } from './support/fixtures';

const dnsLabel = (max: number) => fc.stringMatching(new RegExp(`^[a-z]([a-z0-9-]{0,${max - 2}}[a-z0-9])?$`));
const taint = fc.record({
  key: fc.constantFrom('dedicated', 'example.com/gpu', 'sandbox'),
  value: fc.option(dnsLabel(10), { nil: undefined }),
  effect: fc.constantFrom('NoSchedule', 'PreferNoSchedule', 'NoExecute'),
}).map((t) => (t.value === undefined ? { key: t.key, effect: t.effect } : t));
const gvisorFlags = fc.record({
  'net-raw': fc.constantFrom('true', 'false'),
  debug: fc.constantFrom('true', 'false'),
  nvproxy: fc.constantFrom('true', 'false'),
  'panic-signal': fc.integer({ min: 1, max: 64 }).map(String),
}, { requiredKeys: [] });

const pool = fc.record({
  name: dnsLabel(15),
  architecture: fc.constantFrom('amd64', 'arm64'),
  taints: fc.uniqueArray(taint, { maxLength: 3, selector: (t) => `${t.key}:${t.effect}` }),
  gvisor: fc.option(gvisorFlags, { nil: undefined }),
  kata: fc.constantFrom(undefined, 'kata', 'kata-containers'),
}).map((p) => ({
  name: p.name,
  machine: { type: 'n2-standard-4', architecture: p.architecture },
  taints: p.taints,
  cri: {
    name: 'containerd',
    containerRuntimes: [
      ...(p.gvisor ? [{ type: 'gvisor', providerConfig: { configFlags: p.gvisor } }] : []),
      // Kata is amd64 only: a valid shoot never asks for it on arm64.
      ...(p.kata && p.architecture === 'amd64' ? [{ type: p.kata }] : []),
    ],
  },
}));

const shoot = fc.record({
  name: dnsLabel(20),
  project: dnsLabel(10),
  pools: fc.uniqueArray(pool, { minLength: 1, maxLength: 4, selector: (p) => p.name }),
}).map((s) => ({
  apiVersion: 'core.gardener.cloud/v1beta1',
  kind: 'Shoot',
  metadata: { name: s.name, namespace: `garden-${s.project}` },
  spec: { provider: { type: 'gcp', workers: s.pools } },
})).filter((s) => {
  // One spelling of Kata per shoot (the shoot-wide classes would collide otherwise).
  const types = new Set(s.spec.provider.workers.flatMap((w) => w.cri.containerRuntimes.map((r) => r.type)));
  return !(types.has('kata') && types.has('kata-containers'));
});

function runOn(documents: unknown[]) {
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'in.yaml'), documents.map((d) => yaml.dump(d)).join('---\n'));
  return runPipeline({ inputs: [dir] });
}

test('random valid shoots always synthesize, deterministically, into valid output', () => {
  fc.assert(fc.property(fc.uniqueArray(shoot, { minLength: 1, maxLength: 3, selector: (s) => `${s.metadata.namespace}/${s.metadata.name}` }), (shoots) => {
    const first = runOn(shoots);
    const again = runOn([...shoots].reverse());
    expect(again.files).toEqual(first.files);
    const pools = shoots.flatMap((s) => s.spec.provider.workers.filter((w) => w.cri.containerRuntimes.length > 0));
    expect(first.summary.pools).toBe(pools.length);
    // runPipeline validated every object against its schema and the safety rules, or it would have thrown.
  }), { numRuns: Number(process.env.PROPERTY_RUNS ?? 60) });
});

/** Sets the value at a random path of a document to a random, often hostile, value. */
function mutate(document: unknown, choice: number, value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(document));
  const paths: (string | number)[][] = [];
  const walk = (node: unknown, at: (string | number)[]) => {
    paths.push(at);
    if (Array.isArray(node)) node.forEach((v, i) => walk(v, [...at, i]));
    else if (node && typeof node === 'object') Object.entries(node).forEach(([k, v]) => walk(v, [...at, k]));
  };
  walk(copy, []);
  const target = paths[choice % paths.length];
  if (target.length === 0) return value;
  let parent = copy;
  for (const key of target.slice(0, -1)) parent = parent[key];
  if (value === undefined) delete parent[target[target.length - 1]];
  else parent[target[target.length - 1]] = value;
  return copy;
}

const hostile = fc.oneof(
  fc.constant(undefined), fc.constant(null), fc.integer(), fc.boolean(), fc.string(), fc.constant([]), fc.constant({}),
  fc.constantFrom('$(reboot)', '"; rm -rf /', '`id`', 'a\nb', '../../etc', '/', 'Sandbox', 'x'.repeat(300), 'kata', 'NoWhere'),
);

test('random mutations of valid shoots give a clean InputError or valid output, never a crash', () => {
  fc.assert(fc.property(shoot, fc.nat(), hostile, (s, choice, value) => {
    try {
      const { files } = runOn([mutate(s, choice, value)]);
      // Whatever the input, every file stays in the tree's layout: no traversal, no odd names.
      for (const f of files) expect(f.path).toMatch(/^(shoots\/[a-z0-9-]+\/[a-z0-9-]+\/[a-z0-9.-]+\.yaml|\.shoot-runtimes\/installed\/[a-z0-9-]+\/[a-z0-9-]+\.json|installer\/[0-9a-f]{10}\/[a-z0-9-]+\.yaml)$/);
    } catch (error) {
      expect(error).toBeInstanceOf(InputError);
      expect((error as InputError).diagnostics.length).toBeGreaterThan(0);
    }
  }), { numRuns: Number(process.env.PROPERTY_RUNS ?? 300) });
});

test('through the CLI, a mutated input never leaves a partial write', () => {
  const samples = fc.sample(fc.tuple(shoot, fc.nat(), hostile), { numRuns: 6, seed: 42 });
  for (const [s, choice, value] of samples) {
    const input = tempDir();
    const out = tempDir();
    fs.writeFileSync(path.join(input, 'good.yaml'), yaml.dump(s));
    expect(cli(['synth', '--input', input, '--out', out]).status).toBe(0);
    const before = readTree(out);
    fs.writeFileSync(path.join(input, 'good.yaml'), yaml.dump(mutate(s, choice, value) ?? null));
    const result = cli(['synth', '--input', input, '--out', out]);
    expect([0, 1]).toContain(result.status);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    if (result.status === 1) expect(readTree(out)).toEqual(before);
  }
});
