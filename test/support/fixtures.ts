import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as yaml from 'js-yaml';

/** A fresh temporary directory, removed by the OS's tmp cleaning (tests do not rely on it). */
export function tempDir(prefix = 'shoot-runtimes-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** Writes `files` (relative path -> text) under a new temp directory and returns it. */
export function writeFiles(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}

/**
 * What a GitOps agent applies from a shoot's directory: `kubectl kustomize DIR` (which follows
 * the reference to the shared installer directory), keyed by `<kind>/<name>`.
 */
export function kustomizeObjects(dir: string): Record<string, any> {
  const built = execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 1 << 26 });
  return Object.fromEntries((yaml.loadAll(built) as any[]).map((o) => [`${o.kind}/${o.metadata.name}`, o]));
}

/** A tree without synth's fingerprints (a cache that changes with every build of the tool). */
export function withoutFingerprints(tree: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(tree).filter(([p]) => !p.startsWith('.shoot-runtimes/fingerprints')));
}

/** Every file under `dir`, relative path -> text. */
export function readTree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else out[path.relative(dir, p)] = fs.readFileSync(p, 'utf8');
    }
  };
  if (fs.existsSync(dir)) walk(dir);
  return out;
}

export interface PoolOptions {
  name: string;
  runtimes?: { type: string; providerConfig?: unknown }[];
  taints?: { key: string; value?: string; effect: string }[];
  architecture?: string;
}

/** A Shoot manifest as Gardener users write it. */
export function shoot(namespace: string, name: string, pools: PoolOptions[]): string {
  return yaml.dump({
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Shoot',
    metadata: { name, namespace },
    spec: {
      provider: {
        type: 'gcp',
        workers: pools.map((p) => ({
          name: p.name,
          machine: { type: 'n2-standard-4', ...(p.architecture ? { architecture: p.architecture } : {}) },
          ...(p.taints ? { taints: p.taints } : {}),
          cri: { name: 'containerd', ...(p.runtimes ? { containerRuntimes: p.runtimes } : {}) },
        })),
      },
    },
  });
}

/** A ContainerRuntime as gardenlet writes it into the seed. */
export function containerRuntimeObject(project: string, shootName: string, type: string, pool: string, providerConfig?: unknown): string {
  return yaml.dump({
    apiVersion: 'extensions.gardener.cloud/v1alpha1',
    kind: 'ContainerRuntime',
    metadata: { name: `${type}-${pool}`, namespace: `shoot--${project}--${shootName}` },
    spec: {
      type,
      binaryPath: '/var/bin/containerruntimes',
      workerPool: {
        name: pool,
        selector: { matchLabels: { 'worker.gardener.cloud/pool': pool, 'worker.garden.sapcloud.io/group': pool } },
      },
      ...(providerConfig ? { providerConfig } : {}),
    },
  });
}

/** The objects of a rendered file set, keyed by `<kind>/<name>`. */
export function objectsOf(files: readonly { path: string; content: string }[]): Record<string, any> {
  const out: Record<string, any> = {};
  for (const f of files) {
    if (f.path.endsWith('kustomization.yaml') || f.path.startsWith('.shoot-runtimes/')) continue;
    const o = yaml.load(f.content) as any;
    out[`${o.kind}/${o.metadata.name}`] = o;
  }
  return out;
}
