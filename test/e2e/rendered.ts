/**
 * The end-to-end test's view of a rendering: synthesize through the compiled CLI, read the
 * objects back, and run a rendered installer init container against a stand-in node root the
 * way the kubelet would run it (its command, its env, its volumes), with only the seams changed.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { ROOT, cli } from '../support/cli';
import { kustomizeObjects } from '../support/fixtures';
import { BUSYBOX_PATH_DIR } from '../support/debian';

/** Builds lib/ (what bin/shoot-runtimes runs) when it is missing or older than a source file. */
export function ensureCliBuilt(): void {
  const entry = path.join(ROOT, 'lib', 'src', 'cli', 'index.js');
  const built = fs.existsSync(entry) ? fs.statSync(entry).mtimeMs : 0;
  const newest = newestMtime(path.join(ROOT, 'src'), (f) => f.endsWith('.ts'));
  if (built >= newest) return;
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', ROOT], { cwd: ROOT, stdio: 'pipe' });
}

function newestMtime(dir: string, accept: (file: string) => boolean): number {
  let newest = 0;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestMtime(p, accept));
    else if (accept(p)) newest = Math.max(newest, fs.statSync(p).mtimeMs);
  }
  return newest;
}

/** Every object of one shoot's output directory, keyed by `<Kind>/<name>`. */
export type Objects = Record<string, any>;

/** Writes `files` (relative path to text) under `dir`, runs `synth --config` and reads the shoot back. */
export function synthesize(dir: string, files: Record<string, string>, shootDir: string): Objects {
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    fs.writeFileSync(path.join(dir, rel), text);
  }
  const out = path.join(dir, 'out');
  const result = cli(['synth', '--config', path.join(dir, 'pipeline.yaml'), '--out', out]);
  if (result.status !== 0) throw new Error(`synth exited ${result.status}:\n${result.stderr}`);
  // What Flux or Argo CD applies: the shoot's directory with the installer directory it references.
  return kustomizeObjects(path.join(out, shootDir));
}

/** The object, or an error listing what was rendered. */
export function object(objects: Objects, key: string): any {
  const o = objects[key];
  if (!o) throw new Error(`${key} was not rendered; got ${Object.keys(objects).sort().join(', ')}`);
  return o;
}

/** The rendered handler of RuntimeClass `name`. */
export function handlerOf(objects: Objects, runtimeClass: string): string {
  const handler = object(objects, `RuntimeClass/${runtimeClass}`).handler;
  if (typeof handler !== 'string' || handler === '') throw new Error(`RuntimeClass ${runtimeClass} has no handler`);
  return handler;
}

/** The env of a DaemonSet's `install` init container, as name to value. */
export function installEnv(daemonSet: any): Record<string, string> {
  const env: Record<string, string> = {};
  for (const e of installContainer(daemonSet).env ?? []) {
    if (e.valueFrom !== undefined) throw new Error(`env ${e.name} uses valueFrom: the e2e test cannot resolve it`);
    env[e.name] = e.value ?? '';
  }
  return env;
}

function installContainer(daemonSet: any): any {
  const c = (daemonSet.spec.template.spec.initContainers ?? []).find((i: any) => i.name === 'install');
  if (!c) throw new Error(`DaemonSet ${daemonSet.metadata.name} has no init container "install"`);
  return c;
}

export interface InstallerRun {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface InstallerSeams {
  /** The stand-in node root (HOST_ROOT). */
  readonly hostRoot: string;
  /** The directory holding the runtime's files (ARTIFACT_DIR). */
  readonly artifactDir: string;
  /** Where the ConfigMap volume is materialized. */
  readonly scratchDir: string;
  /** The busybox binary that stands in for the installer image's /bin/sh. */
  readonly busybox: string;
  /** The node's containerd binary: CONTAINERD_VERSION_COMMAND asks it for its version. */
  readonly containerd: string;
}

/**
 * Runs the DaemonSet's `install` init container as the kubelet would: the hostPath volumes
 * created under the host root (DirectoryOrCreate) or required (Directory), the ConfigMap volume
 * written out, the rendered command with the rendered env; only HOST_ROOT, ARTIFACT_DIR,
 * CONTAINERD_RESTART_COMMAND (`true`: the test restarts containerd itself) and
 * CONTAINERD_VERSION_COMMAND (the node's binary, asked directly) are overridden.
 */
export function runInstaller(daemonSet: any, configMaps: Objects, seams: InstallerSeams): InstallerRun {
  const pod = daemonSet.spec.template.spec;
  const container = installContainer(daemonSet);
  const mounts = new Map<string, string>(); // mountPath in the container -> directory here
  for (const mount of container.volumeMounts ?? []) {
    const volume = (pod.volumes ?? []).find((v: any) => v.name === mount.name);
    if (!volume) throw new Error(`volume ${mount.name} is mounted but not declared`);
    if (volume.hostPath) {
      const dir = path.join(seams.hostRoot, volume.hostPath.path);
      if (volume.hostPath.type === 'DirectoryOrCreate') fs.mkdirSync(dir, { recursive: true });
      else if (!fs.existsSync(dir)) throw new Error(`hostPath ${volume.hostPath.path} (${volume.hostPath.type}) does not exist on the node`);
    } else if (volume.configMap) {
      const configMap = object(configMaps, `ConfigMap/${volume.configMap.name}`);
      const dir = path.join(seams.scratchDir, `configmap-${volume.configMap.name}`);
      fs.mkdirSync(dir, { recursive: true });
      for (const [key, text] of Object.entries<string>(configMap.data ?? {})) {
        fs.writeFileSync(path.join(dir, key), text, { mode: volume.configMap.defaultMode ?? 0o644 });
      }
      mounts.set(mount.mountPath, dir);
    }
  }
  const [shell, ...args] = [...(container.command ?? []), ...(container.args ?? [])];
  if (shell !== '/bin/sh') throw new Error(`the install container runs ${shell}, not /bin/sh: update the e2e test`);
  const localArgs = args.map((arg: string) => {
    for (const [mountPath, dir] of mounts) {
      if (arg.startsWith(`${mountPath}/`)) return path.join(dir, arg.slice(mountPath.length + 1));
    }
    return arg;
  });
  const env = {
    ...installEnv(daemonSet),
    HOST_ROOT: seams.hostRoot,
    ARTIFACT_DIR: seams.artifactDir,
    CONTAINERD_RESTART_COMMAND: 'true',
    NODE_CONTAINERD: seams.containerd,
    CONTAINERD_VERSION_COMMAND: '"$NODE_CONTAINERD" --version',
    PATH: BUSYBOX_PATH_DIR,
  };
  const result = spawnSync(seams.busybox, ['sh', ...localArgs], { env, encoding: 'utf8', timeout: 60_000 });
  if (result.error) throw result.error;
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
