import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { gitopsConfig } from '../src/gitops/config';
import { PIPELINE_SCHEMA_PATH, patternPhrase, schemaProblems } from '../src/pipeline/schema';

const ROOT = path.join(__dirname, '..');
const EXAMPLE = path.join(ROOT, 'examples', 'pipeline.yaml');

/** A pipeline file that uses every field of the format. */
const COMPLETE = `
apiVersion: shoot-runtimes.dev/v1alpha1
kind: Pipeline
metadata:
  name: fleet
spec:
  sources: [garden, seed/containerruntimes.yaml]
  output:
    dir: ../gitops
  runtimes:
    gvisor:
      image: registry.internal/gardener/runtime-gvisor-installation:v0.40.0
    crun:
      description: crun, a fast and small OCI runtime (runc-compatible)
      aliases: [crun-static]
      image: registry.internal/runtimes/crun:1.18.2
      files: [/opt/crun/crun, /opt/crun/crun-helper.v2]
      architectures: [amd64, arm64]
      config:
        path: /etc/containerd/runsc.toml
        format: runsc-flags
      classes:
        - name: crun
          handler: crun
          runtimeType: io.containerd.runc.v2
          options:
            BinaryName: \${binaryPath}/crun
            SystemdCgroup: true
            Shim_Debug-Level: 2
          overhead:
            cpu: 250m
            memory: 160Mi
          snapshotter: devmapper
  registry:
    mirror: registry.internal.example.com:5000/mirror/runtimes
    pullSecret: runtime-images
    requireDigests: true
    installerImage: registry.internal/library/busybox@sha256:0000000000000000000000000000000000000000000000000000000000000000
  assignments:
    - shoots:
        names: [garden-dev/alpha, garden-ml/beta]
      pool: sandbox
      type: gvisor
      providerConfig:
        apiVersion: gvisor.runtime.extensions.config.gardener.cloud/v1alpha1
        kind: GVisorConfiguration
        configFlags: {net-raw: "true"}
    - shoots:
        selector:
          matchLabels: {tier: untrusted, example.com/team: ml-2}
      pool: wasm-pool-0123
      type: crun
  uninstall:
    retireAfterRuns: 3
  gitops:
    pathPrefix: clusters/runtimes
    flux:
      sourceRef: {kind: GitRepository, name: runtimes, namespace: flux-system}
      mode: in-cluster
      kubeConfigSecret: "{shoot}-kubeconfig"
      namespace: "{namespace}"
      interval: 10m
      timeout: 1h30m
    argocd:
      repoURL: https://git.example.com/platform/runtimes.git
      targetRevision: main
      namespace: argocd
      project: default
      destinationName: "shoot--{project}--{shoot}"
      applicationSet: true
`;

const complete = () => yaml.load(COMPLETE) as any;

describe('schemaProblems: documents that fit', () => {
  test('examples/pipeline.yaml', () => {
    expect(schemaProblems(yaml.load(fs.readFileSync(EXAMPLE, 'utf8')))).toEqual([]);
  });

  test('a file that uses every field', () => {
    expect(schemaProblems(complete())).toEqual([]);
  });

  test('the smallest file', () => {
    expect(schemaProblems({
      apiVersion: 'shoot-runtimes.dev/v1alpha1', kind: 'Pipeline', metadata: { name: 'x' }, spec: { sources: ['.'] },
    })).toEqual([]);
  });

  test('every whole pipeline file shown in README.md and docs/*.md', () => {
    const pages = ['README.md', ...fs.readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`)];
    const blocks = pages.flatMap((page) => [...fs.readFileSync(path.join(ROOT, page), 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => [page, m[1]] as const).filter(([, block]) => /^kind: Pipeline$/m.test(block)));
    expect(blocks.length).toBeGreaterThanOrEqual(2);
    for (const [page, block] of blocks) expect([page, schemaProblems(yaml.load(block))]).toEqual([page, []]);
  });

  test('the runtime examples of docs/runtimes.md', () => {
    const doc = complete();
    doc.spec.runtimes = {
      spin: { classes: [{ name: 'wasmtime-spin-v2', handler: 'spin', runtimeType: 'io.containerd.spin.v2', options: { SystemdCgroup: false } }] },
    };
    expect(schemaProblems(doc)).toEqual([]);
  });
});

describe('schemaProblems: broken documents', () => {
  const DNS = 'must be a DNS label (lowercase letters, digits and -, starting and ending with a letter or digit)';
  const cases: [string, (doc: any) => void, { path: string; message: string }[]][] = [
    ['an unknown field', (d) => { d.spec.gitops.flux.sourcRef = d.spec.gitops.flux.sourceRef; delete d.spec.gitops.flux.sourceRef; }, [
      { path: 'spec.gitops.flux.sourceRef', message: 'is required' },
      { path: 'spec.gitops.flux', message: 'unknown field "sourcRef"' },
    ]],
    ['an unknown top-level field', (d) => { d.status = {}; }, [{ path: '', message: 'unknown field "status"' }]],
    ['an unknown field of a runtime class', (d) => { d.spec.runtimes.crun.classes[0].runtime_type = 'x'; }, [
      { path: 'spec.runtimes.crun.classes[0]', message: 'unknown field "runtime_type"' },
    ]],
    ['a wrong enum', (d) => { d.spec.gitops.flux.mode = 'local'; }, [
      { path: 'spec.gitops.flux.mode', message: 'must be one of remote, in-cluster' },
    ]],
    ['a wrong architecture', (d) => { d.spec.runtimes.crun.architectures = ['amd64', 'x86_64']; }, [
      { path: 'spec.runtimes.crun.architectures[1]', message: 'must be one of amd64, arm64' },
    ]],
    ['a wrong const', (d) => { d.kind = 'Pipline'; d.apiVersion = 'v1'; }, [
      { path: 'apiVersion', message: 'must be shoot-runtimes.dev/v1alpha1' },
      { path: 'kind', message: 'must be Pipeline' },
    ]],
    ['missing required fields', (d) => { delete d.metadata.name; delete d.spec.sources; delete d.spec.assignments[0].pool; }, [
      { path: 'metadata.name', message: 'is required' },
      { path: 'spec.sources', message: 'is required' },
      { path: 'spec.assignments[0].pool', message: 'is required' },
    ]],
    ['a class without handler and runtimeType', (d) => { d.spec.runtimes.crun.classes[0] = { name: 'crun' }; }, [
      { path: 'spec.runtimes.crun.classes[0].handler', message: 'is required' },
      { path: 'spec.runtimes.crun.classes[0].runtimeType', message: 'is required' },
    ]],
    ['Argo CD without its repository', (d) => { d.spec.gitops.argocd = { targetRevision: 'main' }; }, [
      { path: 'spec.gitops.argocd.repoURL', message: 'is required' },
    ]],
    ['a missing spec', (d) => { delete d.spec; }, [{ path: 'spec', message: 'is required' }]],
    ['wrong types', (d) => {
      d.spec.registry.requireDigests = 'yes';
      d.spec.uninstall.retireAfterRuns = 2.5;
      d.spec.runtimes.crun.classes[0].options.Ratio = 0.5;
      d.spec.runtimes.crun.files = '/opt/crun/crun';
      d.spec.gitops.argocd.targetRevision = 1.0;
      d.spec.assignments[0].providerConfig = 'configFlags';
    }, [
      { path: 'spec.runtimes.crun.files', message: 'must be a list' },
      { path: 'spec.runtimes.crun.classes[0].options.Ratio', message: 'must be a string, a whole number or a boolean' },
      { path: 'spec.registry.requireDigests', message: 'must be true or false' },
      { path: 'spec.assignments[0].providerConfig', message: 'must be a map' },
      { path: 'spec.uninstall.retireAfterRuns', message: 'must be a whole number' },
      { path: 'spec.gitops.argocd.targetRevision', message: 'must be a string' },
    ]],
    ['an empty document', (d) => { Object.keys(d).forEach((k) => delete d[k]); }, [
      { path: 'apiVersion', message: 'is required' },
      { path: 'kind', message: 'is required' },
      { path: 'metadata', message: 'is required' },
      { path: 'spec', message: 'is required' },
    ]],
    ['bad patterns', (d) => {
      d.spec.runtimes.crun.classes[0].handler = 'Crun';
      d.spec.runtimes.crun.classes[0].runtimeType = 'runc';
      d.spec.runtimes.crun.files = ['opt/crun/crun'];
      d.spec.registry.mirror = 'https://registry.example.com';
      d.spec.registry.pullSecret = 'pull_secret';
      d.spec.assignments[0].shoots.names = ['alpha'];
      d.spec.gitops.pathPrefix = '../outside';
      d.spec.gitops.flux.timeout = '5 minutes';
      d.spec.gitops.argocd.destinationName = 'shoot--{cluster}';
    }, [
      { path: 'spec.runtimes.crun.files[0]', message: 'must be an absolute path of letters, digits and . _ / + -' },
      { path: 'spec.runtimes.crun.classes[0].handler', message: DNS },
      { path: 'spec.runtimes.crun.classes[0].runtimeType', message: 'must be a containerd runtime type such as io.containerd.runc.v2' },
      { path: 'spec.registry.mirror', message: 'must be a registry host with an optional port and path prefix, without a scheme, e.g. registry.example.com:5000/mirror' },
      { path: 'spec.registry.pullSecret', message: DNS },
      { path: 'spec.assignments[0].shoots.names[0]', message: 'must be a shoot as <project-namespace>/<name>, e.g. garden-dev/alpha' },
      { path: 'spec.gitops.pathPrefix', message: 'must be a relative path inside the repository (no leading / and no ..)' },
      { path: 'spec.gitops.flux.timeout', message: 'must be a duration such as 10m or 1h30m' },
      { path: 'spec.gitops.argocd.destinationName', message: 'must be a name of lowercase letters, digits, . and -, with placeholders {shoot}, {project}, {namespace}' },
    ]],
    ['bad keys', (d) => {
      d.spec.runtimes.Crun = d.spec.runtimes.crun;
      delete d.spec.runtimes.crun;
      d.spec.runtimes.Crun.classes[0].options = { 'Binary Name': 'x' };
      d.spec.assignments[1].shoots.selector.matchLabels = { '-tier': 'a' };
    }, [
      { path: 'spec.runtimes.Crun', message: `runtime type ${DNS}` },
      { path: 'spec.runtimes.Crun.classes[0].options.Binary Name', message: 'option name must be letters, digits, _ and -' },
      { path: 'spec.assignments[1].shoots.selector.matchLabels.-tier', message: 'label key must be a label key such as app or example.com/tier' },
    ]],
    ['assignments with both names and selector', (d) => { d.spec.assignments[0].shoots.selector = { matchLabels: { tier: 'a' } }; }, [
      { path: 'spec.assignments[0].shoots', message: 'must give names or selector, not both' },
    ]],
    ['assignments with neither names nor selector', (d) => { d.spec.assignments[0].shoots = {}; }, [
      { path: 'spec.assignments[0].shoots', message: 'must give names or selector' },
    ]],
    ['a selector without labels', (d) => { d.spec.assignments[1].shoots.selector = { matchLabels: {} }; }, [
      { path: 'spec.assignments[1].shoots.selector.matchLabels', message: 'must not be empty' },
    ]],
    ['a selector without matchLabels', (d) => { d.spec.assignments[1].shoots.selector = { tier: 'a' }; }, [
      { path: 'spec.assignments[1].shoots.selector.matchLabels', message: 'is required' },
      { path: 'spec.assignments[1].shoots.selector', message: 'unknown field "tier"' },
    ]],
    ['a misspelt selector next to names', (d) => { d.spec.assignments[0].shoots.selectr = {}; }, [
      { path: 'spec.assignments[0].shoots', message: 'unknown field "selectr"' },
    ]],
    ['limits', (d) => {
      d.spec.sources = [];
      d.spec.output.dir = '';
      d.spec.assignments[1].pool = 'a-very-long-pool-name';
      d.spec.uninstall.retireAfterRuns = 0;
      d.spec.runtimes.crun.architectures = ['amd64', 'amd64'];
      d.spec.runtimes.crun.classes = [];
    }, [
      { path: 'spec.sources', message: 'must list at least one item' },
      { path: 'spec.output.dir', message: 'must not be empty' },
      { path: 'spec.runtimes.crun.architectures', message: 'must not list "amd64" twice' },
      { path: 'spec.runtimes.crun.classes', message: 'must list at least one item' },
      { path: 'spec.assignments[1].pool', message: 'must be at most 15 characters long' },
      { path: 'spec.uninstall.retireAfterRuns', message: 'must be at least 1' },
    ]],
    ['a runtime that is not a map (an empty YAML entry)', (d) => { d.spec.runtimes.gvisor = null; }, [
      { path: 'spec.runtimes.gvisor', message: 'must be a map' },
    ]],
  ];

  test.each(cases)('%s', (_name, breakIt, expected) => {
    const doc = complete();
    breakIt(doc);
    expect(schemaProblems(doc)).toEqual(expected);
  });

  test('a document that is not a map at all', () => {
    expect(schemaProblems(null)).toEqual([{ path: '', message: 'must be a map' }]);
    expect(schemaProblems(['a'])).toEqual([{ path: '', message: 'must be a map' }]);
    expect(schemaProblems('apiVersion: x')).toEqual([{ path: '', message: 'must be a map' }]);
  });

  test('a runtime type or map key that looks like a list index stays a key', () => {
    const doc = complete();
    doc.spec.runtimes['0'] = { image: '' };
    expect(schemaProblems(doc)).toEqual([{ path: 'spec.runtimes.0.image', message: 'must not be empty' }]);
  });

  test('the same problem is reported once', () => {
    const doc = complete();
    doc.spec.runtimes.crun.architectures = ['amd64', 'amd64', 'amd64'];
    expect(schemaProblems(doc)).toEqual([{ path: 'spec.runtimes.crun.architectures', message: 'must not list "amd64" twice' }]);
  });
});

describe('docs/pipeline.schema.json', () => {
  const text = fs.readFileSync(PIPELINE_SCHEMA_PATH, 'utf8');
  const schema = JSON.parse(text);

  /** Every subschema an editor shows for a field, a list item, a map value or a map key, with where it is. */
  function fieldSchemas(node: any, at: string, out: [string, any][] = []): [string, any][] {
    for (const [key, sub] of Object.entries<any>(node.properties ?? {})) {
      out.push([`${at}.${key}`, sub]);
      fieldSchemas(sub, `${at}.${key}`, out);
    }
    for (const [keyword, suffix] of [['items', '[]'], ['additionalProperties', '.*'], ['propertyNames', '.<key>']] as const) {
      if (node[keyword] !== null && typeof node[keyword] === 'object') {
        out.push([`${at}${suffix}`, node[keyword]]);
        fieldSchemas(node[keyword], `${at}${suffix}`, out);
      }
    }
    return out;
  }
  const fields = fieldSchemas(schema, '$');

  test('is JSON Schema draft-07 with an $id, a title and a description', () => {
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.$id).toMatch(/^https:\/\/shoot-runtimes\.dev\/.+\.json$/);
    expect(schema.title).toEqual(expect.any(String));
    expect(schema.description).toEqual(expect.any(String));
  });

  test('every field has a title and a description', () => {
    expect(fields.length).toBeGreaterThan(60);
    const missing = fields.filter(([, s]) => typeof s.title !== 'string' || s.title === ''
      || typeof s.description !== 'string' || s.description === '').map(([at]) => at);
    expect(missing).toEqual([]);
  });

  test('every map with known fields is closed, except where the format is free-form', () => {
    const open = fields.filter(([, s]) => s.properties !== undefined && s.additionalProperties !== false).map(([at]) => at);
    expect(open).toEqual([]);
    expect(schema.additionalProperties).toBe(false);
  });

  test('every pattern is a valid regular expression with a readable phrase', () => {
    const patterns = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node !== null && typeof node === 'object') {
        for (const [k, v] of Object.entries(node)) {
          if (k === 'pattern' && typeof v === 'string') patterns.add(v);
          else walk(v);
        }
      }
    };
    walk(schema);
    for (const p of patterns) {
      expect(() => new RegExp(p, 'u')).not.toThrow();
      expect([p, patternPhrase(p)]).toEqual([p, expect.any(String)]);
    }
  });

  test('examples/pipeline.yaml points editors at it', () => {
    const first = fs.readFileSync(EXAMPLE, 'utf8').split('\n')[0];
    const match = /^# yaml-language-server: \$schema=(\S+)$/.exec(first);
    expect(match).not.toBeNull();
    expect(path.resolve(path.dirname(EXAMPLE), match![1])).toBe(PIPELINE_SCHEMA_PATH);
  });

  test('defaults agree with the loader', () => {
    const gitops = schema.properties.spec.properties.gitops.properties;
    const defaults = (node: any): Record<string, unknown> => Object.fromEntries(Object.entries<any>(node.properties)
      .filter(([, s]) => s.default !== undefined).map(([k, s]) => [k, s.default]));
    const loaded = gitopsConfig({ flux: { sourceRef: { name: 'runtimes' } }, argocd: { repoURL: 'r', targetRevision: 'main' } })!;
    expect(defaults(gitops.flux)).toEqual({ mode: loaded.flux!.mode, kubeConfigSecret: loaded.flux!.kubeConfigSecret, interval: loaded.flux!.interval, timeout: loaded.flux!.timeout });
    expect(defaults(gitops.flux.properties.sourceRef)).toEqual({ kind: loaded.flux!.sourceRef.kind });
    expect(defaults(gitops.argocd)).toEqual({ namespace: loaded.argocd!.namespace, project: loaded.argocd!.project, destinationName: loaded.argocd!.destinationName, applicationSet: loaded.argocd!.applicationSet });
  });
});
