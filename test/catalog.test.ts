import * as path from 'path';
import { BUILTIN_RUNTIMES, Catalog, RuntimeDefinition, runPipeline } from '../src';
import { objectsOf, shoot, writeFiles } from './support/fixtures';

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A Kubernetes resource quantity (decimal or binary suffix), as RuntimeClass overheads use them. */
const QUANTITY = /^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/;
/** An image reference pinned by a tag (not latest) or by a digest. */
function pinning(image: string): { tag?: string; digest?: string } {
  const [name, digest] = image.split('@');
  const lastSlash = name.lastIndexOf('/');
  const colon = name.indexOf(':', lastSlash + 1);
  return { tag: colon < 0 ? undefined : name.slice(colon + 1), digest };
}

const entries: [string, RuntimeDefinition][] = BUILTIN_RUNTIMES.map((d) => [d.type, d]);

describe.each(entries)('built-in runtime %s', (_type, d) => {
  test('type, aliases and description', () => {
    expect(d.type).toMatch(DNS_LABEL);
    for (const alias of d.aliases ?? []) expect(alias).toMatch(DNS_LABEL);
    expect(d.description.length).toBeGreaterThan(10);
  });

  test('the image is pinned by a tag or a digest, never latest', () => {
    const { tag, digest } = pinning(d.image);
    expect(tag !== undefined || digest !== undefined).toBe(true);
    if (tag !== undefined) {
      expect(tag).not.toBe('latest');
      expect(tag).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/);
    }
    if (digest !== undefined) expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(d.image).not.toMatch(/\s/);
  });

  test('files are absolute, normalized paths with unique base names', () => {
    expect(d.files.length).toBeGreaterThan(0);
    for (const file of d.files) {
      expect(path.posix.isAbsolute(file)).toBe(true);
      expect(path.posix.normalize(file)).toBe(file);
      expect(file).toMatch(/^[A-Za-z0-9._/+-]+$/);
    }
    const names = d.files.map((f) => path.posix.basename(f));
    expect(new Set(names).size).toBe(names.length);
  });

  test('classes: DNS-label names and handlers, containerd runtime types, valid overheads', () => {
    expect(d.classes.length).toBeGreaterThan(0);
    for (const c of d.classes) {
      expect(c.name).toMatch(DNS_LABEL);
      expect(c.handler).toMatch(DNS_LABEL);
      expect(c.runtimeType).toMatch(/^io\.containerd\.[a-z0-9-]+(\.[a-z0-9-]+)*\.v[0-9]+$/);
      for (const [key, value] of Object.entries(c.options ?? {})) {
        expect(key).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(['string', 'boolean', 'number']).toContain(typeof value);
      }
      for (const quantity of Object.values(c.overhead ?? {})) expect(quantity).toMatch(QUANTITY);
      if (c.snapshotter !== undefined) expect(c.snapshotter).toMatch(/^[a-z0-9][a-z0-9._-]*$/);
    }
    expect(new Set(d.classes.map((c) => c.handler)).size).toBe(d.classes.length);
  });

  test('a runc-compatible class names a binary the entry installs; a shim class installs its shim', () => {
    const installed = d.files.map((f) => path.posix.basename(f));
    for (const c of d.classes) {
      if (c.runtimeType === 'io.containerd.runc.v2') {
        const binary = String(c.options?.BinaryName ?? '');
        expect(binary.startsWith('${binaryPath}/')).toBe(true);
        expect(installed).toContain(binary.slice('${binaryPath}/'.length));
      } else {
        // io.containerd.<name>.v<N> -> containerd-shim-<name>-v<N>, found on containerd's PATH (binaryPath)
        const [, name, version] = /^io\.containerd\.(.+)\.v([0-9]+)$/.exec(c.runtimeType)!;
        expect(installed).toContain(`containerd-shim-${name}-v${version}`);
      }
      for (const value of Object.values(c.options ?? {})) {
        if (typeof value === 'string' && value.startsWith('${binaryPath}/')) {
          expect(installed).toContain(value.slice('${binaryPath}/'.length));
        }
      }
    }
  });

  test('architectures are amd64 and/or arm64', () => {
    expect(d.architectures.length).toBeGreaterThan(0);
    for (const arch of d.architectures) expect(['amd64', 'arm64']).toContain(arch);
    expect(new Set(d.architectures).size).toBe(d.architectures.length);
  });

  test('renders through the pipeline for a shoot whose pools use the type and each alias', () => {
    // One shoot per spelling: two spellings of a type in one shoot would claim the same shoot-wide class.
    const names = [d.type, ...(d.aliases ?? [])];
    names.forEach((type) => {
      const pools = d.architectures.map((architecture) => ({ name: `p-${architecture}`, architecture, runtimes: [{ type }] }));
      const dir = writeFiles({ 'shoot.yaml': shoot('garden-dev', 'cat', pools) });
      const objects = objectsOf(runPipeline({ inputs: [dir] }).files);
      const pool = pools[0].name;
      expect(Object.keys(objects).filter((k) => k.startsWith('DaemonSet/'))).toEqual(pools.map((p) => `DaemonSet/${type}-${p.name}`));
      const ds = objects[`DaemonSet/${type}-${pool}`];
      expect(ds).toBeDefined();
      const fetch = ds.spec.template.spec.initContainers.find((c: any) => c.name === 'fetch');
      expect(fetch.image).toBe(d.image);
      expect(fetch.command).toEqual(['cp', ...d.files, '/artifacts/']);
      const install = ds.spec.template.spec.initContainers.find((c: any) => c.name === 'install');
      const env = Object.fromEntries(install.env.map((e: any) => [e.name, e.value]));
      expect(env.RUNTIME_FILES.split('\n')).toEqual(d.files.map((f) => path.posix.basename(f)));
      expect(env.RUNTIME_HANDLERS).toBe(d.classes.map((c) => c.handler).join(' '));
      for (const c of d.classes) {
        expect(env.RUNTIME_TABLES).toContain(`runtime_type = "${c.runtimeType}"`);
        expect(env.RUNTIME_TABLES).not.toContain('${binaryPath}');
        const perPool = objects[`RuntimeClass/${c.name}-${pool}`];
        expect(perPool.handler).toBe(c.handler);
        expect(perPool.overhead).toEqual(c.overhead ? { podFixed: c.overhead } : undefined);
        expect(objects[`RuntimeClass/${c.name}`].handler).toBe(c.handler);
      }
    });
  });
});

test('built-in types, aliases and shoot-wide class names are unique across the catalog', () => {
  const names = BUILTIN_RUNTIMES.flatMap((d) => [d.type, ...(d.aliases ?? [])]);
  expect(new Set(names).size).toBe(names.length);
  const classes = BUILTIN_RUNTIMES.flatMap((d) => d.classes.map((c) => c.name));
  expect(new Set(classes).size).toBe(classes.length);
});

test('every built-in entry is found by its type and its aliases', () => {
  const catalog = Catalog.withOverrides();
  for (const d of BUILTIN_RUNTIMES) {
    for (const name of [d.type, ...(d.aliases ?? [])]) expect(catalog.find(name)).toBe(d);
  }
});

test('gVisor and Kata keep the values existing installations depend on', () => {
  const [gvisor, kata, kataFc] = ['gvisor', 'kata', 'kata-fc'].map((t) => BUILTIN_RUNTIMES.find((d) => d.type === t)!);
  expect(gvisor.classes.map((c) => [c.name, c.handler])).toEqual([['gvisor', 'runsc']]);
  expect(gvisor.files.map((f) => path.posix.basename(f))).toEqual(['runsc', 'containerd-shim-runsc-v1']);
  expect(kata.classes.map((c) => c.name)).toEqual(['kata-qemu', 'kata-clh']);
  for (const c of [...kata.classes, ...kataFc.classes]) {
    expect(c.options?.ConfigPath).toMatch(/^\$\{binaryPath\}\/configuration-[a-z]+\.toml$/);
  }
  expect(kataFc.classes[0].snapshotter).toBe('devmapper');
});
