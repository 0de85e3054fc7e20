/**
 * Whatever synth accepts, every installer accepts: random valid pipeline runtimes
 * (`spec.runtimes` entries assigned to a pool) are synthesized through the pipeline file, and the
 * rendered installer's environment is run through the real install.sh (dash and busybox) on a
 * stand-in node with a containerd 1.x config.toml. The installer must accept it, and containerd's
 * own `config dump` must show every handler with exactly the values the pipeline file asked for.
 */
import { execFileSync } from 'child_process';
import * as fc from 'fast-check';
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { loadPipelineFile, runPipeline } from '../../src';
import { tomlValueProblem } from '../../src/installer/toml';
import { hostDirectoryProblem, runtimeConfigPathProblem, runtimeFileNameProblem } from '../../src/validate/host-paths';
import { containerdBinary } from '../support/debian';
import { shoot, writeFiles } from '../support/fixtures';
import { CONFIG_PATH, Shell, addArtifacts, containerd1Config, Host, criRuntimes, hostsRemovedAfterAll, parseToml, runInstaller, versionSeam } from '../support/host';

const host = hostsRemovedAfterAll();

const dnsLabel = (max: number) => fc.stringMatching(new RegExp(`^[a-z]([a-z0-9-]{0,${max - 2}}[a-z0-9])?$`));
const fileName = fc.stringMatching(/^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,20}$/).filter((n) => runtimeFileNameProblem(n) === undefined);
const optionValue = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 24 }),
  fc.constantFrom('${binaryPath}/shim', 'a"b\\c', 'line\nbreak\ttab', "'single'", '[x]', '# not a comment', '$(reboot)', '\u007f\u0001'),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
  fc.boolean(),
).filter((v) => tomlValueProblem(v) === undefined);
const runtimeClass = fc.record({
  name: dnsLabel(20),
  handler: dnsLabel(20).filter((h) => h !== 'runc'),
  runtimeType: fc.stringMatching(/^io\.containerd\.[a-z0-9]([a-z0-9-]{0,10})\.v[0-9]$/),
  options: fc.option(fc.dictionary(fc.stringMatching(/^[A-Za-z0-9_-]{1,12}$/), optionValue, { maxKeys: 4 }), { nil: undefined }),
  snapshotter: fc.option(dnsLabel(12), { nil: undefined }),
}).map(({ options, snapshotter, ...c }) => ({ ...c, ...(options ? { options } : {}), ...(snapshotter ? { snapshotter } : {}) }));
const configPath = fc.tuple(fc.option(dnsLabel(8), { nil: undefined }), fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,12}$/))
  .map(([dir, name]) => `/etc/containerd/${dir ? `${dir}/` : ''}${name}`)
  .filter((p) => runtimeConfigPathProblem(p) === undefined);

/** Host directories synth accepts (the host directory rule), Gardener's default among them. */
const hostDirectory = fc.oneof(
  fc.constant('/var/bin/containerruntimes'),
  fc.array(fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,8}$/), { minLength: 1, maxLength: 4 }).map((segments) => `/${segments.join('/')}`),
).filter((p) => hostDirectoryProblem(p) === undefined);

const definition = fc.record({
  type: dnsLabel(12).map((t) => `rt-${t}`),
  files: fc.uniqueArray(fileName, { minLength: 1, maxLength: 3 }),
  classes: fc.uniqueArray(runtimeClass, { minLength: 1, maxLength: 3, selector: (c) => c.name })
    .filter((cs) => new Set(cs.map((c) => c.handler)).size === cs.length),
  config: fc.option(configPath, { nil: undefined }),
  netRaw: fc.constantFrom('true', 'false'),
  /** A seed ContainerRuntime with its own binaryPath instead of a pipeline assignment to a Shoot's pool. */
  seedBinaryPath: fc.option(hostDirectory, { nil: undefined }),
  shell: fc.constantFrom<Shell>('dash', 'busybox'),
});

/**
 * containerd's effective config (`config dump`), parsed. Its encoder writes DEL (0x7f) raw inside
 * strings, which strict TOML (Python's tomllib) refuses: escape it before parsing.
 */
function dumpConfig(h: Host, file: string): any {
  const dump = execFileSync(containerdBinary(), ['--config', file, 'config', 'dump'], { encoding: 'utf8' });
  const out = path.join(h.dir, 'dump.toml');
  fs.writeFileSync(out, dump.split('\x7f').join('\\u007f'));
  return parseToml(out);
}

/** The value containerd should hold for an option: `${binaryPath}` filled in. */
const expectedValue = (v: unknown, binaryPath: string) => (typeof v === 'string' ? v.split('${binaryPath}').join(binaryPath) : v);

/** A seed's ContainerRuntime object for pool p of shoot garden-dev/alpha. */
function seedObject(type: string, binaryPath: string, providerConfig: unknown): string {
  return yaml.dump({
    apiVersion: 'extensions.gardener.cloud/v1alpha1',
    kind: 'ContainerRuntime',
    metadata: { name: `${type}-p`, namespace: 'shoot--dev--alpha' },
    spec: { type, binaryPath, workerPool: { name: 'p', selector: { matchLabels: { 'worker.gardener.cloud/pool': 'p' } } }, ...(providerConfig ? { providerConfig } : {}) },
  });
}

test('random valid pipeline runtimes, on Shoot pools or seed ContainerRuntimes with their own binaryPath: every installer accepts what synth renders, and containerd reads it as written', () => {
  fc.assert(fc.property(definition, (d) => {
    const entry = {
      image: 'registry.example.com/runtimes/x:1.0',
      files: d.files.map((f) => `/opt/bin/${f}`),
      architectures: ['amd64'],
      classes: d.classes,
      ...(d.config ? { config: { path: d.config, format: 'runsc-flags' } } : {}),
    };
    const binaryPath = d.seedBinaryPath ?? '/var/bin/containerruntimes';
    const providerConfig = d.config ? { configFlags: { 'net-raw': d.netRaw } } : undefined;
    const dir = writeFiles({
      'garden/a.yaml': d.seedBinaryPath ? seedObject(d.type, d.seedBinaryPath, providerConfig) : shoot('garden-dev', 'alpha', [{ name: 'p' }]),
      'pipeline.yaml': yaml.dump({
        apiVersion: 'shoot-runtimes.dev/v1alpha1',
        kind: 'Pipeline',
        metadata: { name: 'prop' },
        spec: {
          sources: ['garden'],
          runtimes: { [d.type]: entry },
          assignments: d.seedBinaryPath ? [] : [{
            shoots: { names: ['garden-dev/alpha'] }, pool: 'p', type: d.type, ...(providerConfig ? { providerConfig } : {}),
          }],
        },
      }),
    });
    const pipeline = loadPipelineFile(path.join(dir, 'pipeline.yaml'));
    const { files } = runPipeline({ inputs: pipeline.sources, runtimes: pipeline.runtimes, assignments: pipeline.assignments });
    const ds = yaml.load(files.find((f) => f.path.endsWith(`/daemonset-${d.type}-p.yaml`))!.content) as any;
    const install = ds.spec.template.spec.initContainers.find((c: any) => c.name === 'install');
    const rendered = Object.fromEntries(install.env.map((e: any) => [e.name, e.value])) as Record<string, string>;

    const h = host(containerd1Config());
    addArtifacts(h, Object.fromEntries(d.files.map((f) => [f, `${f} binary\n`])));
    const env = {
      ...rendered,
      HOST_ROOT: h.root,
      ARTIFACT_DIR: h.artifacts,
      RESTART_LOG: h.restartLog,
      CONTAINERD_RESTART_COMMAND: 'echo restart >>"$RESTART_LOG"',
      CONTAINERD_BIN: containerdBinary(),
      CONTAINERD_CONFIG_CHECK_COMMAND: '"$CONTAINERD_BIN" --config "$1" config dump >/dev/null',
      ...versionSeam(h),
    };
    const result = runInstaller(env, { shell: d.shell });
    expect([result.status, result.stderr]).toEqual([0, expect.any(String)]);

    const runtimes = criRuntimes(dumpConfig(h, h.path(CONFIG_PATH)));
    const written = parseToml(h.path(CONFIG_PATH));
    for (const c of d.classes) {
      const table = runtimes[c.handler];
      expect(table?.runtime_type).toBe(c.runtimeType);
      // containerd 1.6 has no per-handler snapshotter (1.7 added it): its dump drops the key, so
      // the written file is read with a TOML parser instead.
      if (c.snapshotter) expect(criRuntimes(written)[c.handler].snapshotter).toBe(c.snapshotter);
      for (const [key, value] of Object.entries(c.options ?? {})) {
        // containerd 1.6's `config dump` prints a character beyond U+FFFF as \u0000 (checked here
        // with Debian's 1.6.20): such a value is read back from the written file instead.
        const astral = typeof value === 'string' && [...value].some((ch) => ch.codePointAt(0)! > 0xffff);
        const read = astral ? criRuntimes(written)[c.handler].options?.[key] : table.options?.[key];
        expect([key, read]).toEqual([key, expectedValue(value, binaryPath)]);
      }
    }
    expect(runtimes.runc).toBeDefined();
    expect(rendered.BINARY_PATH).toBe(binaryPath);
    for (const f of d.files) expect(h.read(`${binaryPath}/${f}`)).toBe(`${f} binary\n`);
    if (d.config) expect(h.read(d.config)).toContain(`net-raw = "${d.netRaw}"`);
    expect(runInstaller(env, { shell: d.shell, mode: 'verify' }).status).toBe(0);
  }), { numRuns: Number(process.env.PROPERTY_RUNS ?? 6), ...(process.env.PROPERTY_SEED ? { seed: Number(process.env.PROPERTY_SEED) } : {}) });
});
