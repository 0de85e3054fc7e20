/**
 * End to end on a real containerd: what the generator renders installs a runtime that containerd
 * then runs pod sandboxes with.
 *
 * One shoot, three pools: `sandbox` uses `runc-e2e`, a runc-compatible runtime added through the
 * pipeline file's `spec.runtimes` (its artifact is Debian's runc, named runc-e2e: a runtime file
 * never shadows containerd's own runc in the install directory); `gv` uses gVisor and `vm` Kata
 * from the built-in catalog. The rendered installer script runs with the rendered env against a
 * stand-in node root holding a Gardener-like config.toml; Debian's containerd runs on that node
 * root's config in private namespaces (test/support/containerd.ts) and is driven through the CRI
 * API, as the kubelet drives it. The whole chain runs on containerd 1.6 (a version 2 config,
 * handlers in config.toml) and on 2.x (a version 3 config, handlers in a drop-in).
 *
 * gVisor's and Kata's shims cannot run here: stand-in shims that fail with a recognizable message
 * prove that each rendered handler resolves to the installed shim.
 */
import * as fs from 'fs';
import * as path from 'path';
import { CriError, PodSandboxConfig } from '../support/cri/client';
import {
  E2eTools, PrivateContainerd, buildSandboxImage, cannotRunContainers, e2eWorkDir, ensureE2eTools, nodeContainerdConfig,
} from '../support/containerd';
import { shoot } from '../support/fixtures';
import { Objects, ensureCliBuilt, handlerOf, installEnv, object, runInstaller, synthesize } from './rendered';

const BINARY_PATH = '/var/bin/containerruntimes';
const SANDBOX_IMAGE = 'shoot-runtimes.e2e.local/pause:1.0';
const STAND_IN = 'shoot-runtimes e2e stand-in';

const PIPELINE = [
  'apiVersion: shoot-runtimes.dev/v1alpha1',
  'kind: Pipeline',
  'metadata: {name: e2e}',
  'spec:',
  '  sources: [garden]',
  '  runtimes:',
  '    runc-e2e:',
  '      image: registry.e2e.local/runc:1.1',
  '      files: [/usr/local/bin/runc-e2e]',
  '      architectures: [amd64, arm64]',
  '      classes:',
  '        - {name: runc-e2e, handler: runc-e2e, runtimeType: io.containerd.runc.v2, options: {BinaryName: "${binaryPath}/runc-e2e"}}',
  '',
].join('\n');

const SHOOT = shoot('garden-e2e', 'node', [
  { name: 'sandbox', runtimes: [{ type: 'runc-e2e' }] },
  { name: 'gv', runtimes: [{ type: 'gvisor', providerConfig: { configFlags: { 'net-raw': 'true' } } }] },
  { name: 'vm', runtimes: [{ type: 'kata' }] },
]);

const unavailable = cannotRunContainers();

if (unavailable && process.env.CI === 'true') {
  test('the end-to-end sandbox test can run on this CI machine', () => {
    throw new Error(`this CI machine cannot run containers: ${unavailable}`);
  });
} else if (unavailable) {
  // eslint-disable-next-line no-console
  console.warn(`SKIPPED test/e2e/sandbox.test.ts: this machine cannot run containers: ${unavailable}`);
  test.skip(`containerd end to end (this machine cannot run containers: ${unavailable})`, () => undefined);
} else {
  describe.each(['1.6', '2.x'])('containerd %s: a rendered installer makes containerd run pod sandboxes with the rendered handlers', (line) => {
    let tools: E2eTools;
    let work: string;
    let hostRoot: string;
    let objects: Objects;
    let node: PrivateContainerd | undefined;
    let attempt = 0;

    /** A host-network sandbox (no CNI) under the node's private cgroup parent. */
    const sandboxConfig = (name: string): PodSandboxConfig => {
      attempt += 1;
      return {
        metadata: { name, namespace: 'e2e', uid: `e2e-${process.pid}-${attempt}`, attempt: 0 },
        labels: { 'shoot-runtimes.dev/e2e': 'true' },
        linux: {
          cgroupParent: node!.cgroupParent,
          securityContext: { namespaceOptions: { network: 'NODE' } },
        },
      };
    };

    /** Runs a step; on failure the error carries containerd's log. */
    const withLog = async <T>(step: () => Promise<T> | T): Promise<T> => {
      try {
        return await step();
      } catch (error) {
        const e = error as Error;
        e.message = `${e.message}\n\n${node ? node.logExcerpt() : '(containerd was not started)'}`;
        throw e;
      }
    };

    /** RunPodSandbox's error for `handler` (the call must fail). */
    const runFailure = async (handler: string): Promise<CriError> => {
      try {
        const id = await node!.cri.runPodSandbox(sandboxConfig(`expect-failure-${handler}`), handler);
        throw new Error(`RunPodSandbox with handler ${handler} unexpectedly started sandbox ${id}`);
      } catch (error) {
        if (error instanceof CriError) return error;
        throw error;
      }
    };

    const install = (daemonSet: string, artifacts: Record<string, { from?: string; text?: string }>): string => {
      const artifactDir = path.join(work, `artifacts-${daemonSet}`);
      fs.mkdirSync(artifactDir, { recursive: true });
      for (const [name, source] of Object.entries(artifacts)) {
        const target = path.join(artifactDir, name);
        if (source.from) fs.copyFileSync(source.from, target);
        else fs.writeFileSync(target, source.text ?? '');
        fs.chmodSync(target, 0o755);
      }
      const run = runInstaller(object(objects, `DaemonSet/${daemonSet}`), objects, {
        hostRoot, artifactDir, scratchDir: work, busybox: tools.busybox, containerd: tools.containerd,
      });
      if (run.status !== 0) throw new Error(`the rendered installer of ${daemonSet} exited ${run.status}:\n${run.stderr}`);
      return run.stderr;
    };

    /** A stand-in for a binary that cannot run here: it fails, naming itself. */
    const standIn = (name: string): { text: string } => ({
      text: `#!/bin/sh\necho "${STAND_IN} ${name}: cannot run here (run as $0)" >&2\nexit 3\n`,
    });

    beforeAll(async () => {
      tools = ensureE2eTools(line);
      // eslint-disable-next-line no-console
      console.log(`e2e on ${tools.version}`);
      ensureCliBuilt();
      work = e2eWorkDir();
      objects = synthesize(path.join(work, 'pipeline'), { 'pipeline.yaml': PIPELINE, 'garden/shoot.yaml': SHOOT }, 'shoots/garden-e2e/node');

      hostRoot = path.join(work, 'host');
      fs.mkdirSync(path.join(hostRoot, 'etc', 'containerd'), { recursive: true });
      fs.writeFileSync(path.join(hostRoot, 'etc', 'containerd', 'config.toml'), nodeContainerdConfig(tools, SANDBOX_IMAGE));
      const image = buildSandboxImage(tools.busybox, path.join(work, 'image'), SANDBOX_IMAGE);

      node = await PrivateContainerd.create({
        tools,
        hostRoot,
        nodeDirs: [BINARY_PATH],
        extraPath: [BINARY_PATH],
        workDir: path.join(work, 'containerd'),
      });
      await withLog(async () => {
        await node!.start();
        node!.importImage(image);
      });
    }, 600_000);

    afterAll(async () => {
      const problems = node ? await node.destroy() : [];
      if (work) fs.rmSync(work, { recursive: true, force: true });
      if (problems.length > 0) throw new Error(`cleanup left something behind:\n${problems.join('\n')}`);
    }, 60_000);

    test('the rendering has the installers and per-pool RuntimeClasses the test drives', () => {
      const volumes = object(objects, 'DaemonSet/runc-e2e-sandbox').spec.template.spec.volumes;
      const scripts = volumes.find((v: any) => v.name === 'installer-script').configMap.name;
      expect(object(objects, `ConfigMap/${scripts}`).data['install.sh']).toMatch(/^#!\/bin\/sh/);
      expect(handlerOf(objects, 'runc-e2e-sandbox')).toBe('runc-e2e');
      expect(handlerOf(objects, 'gvisor-gv')).toBe('runsc');
      expect(handlerOf(objects, 'kata-qemu-vm')).toBe('kata-qemu');
      expect(handlerOf(objects, 'kata-clh-vm')).toBe('kata-clh');
      const env = installEnv(object(objects, 'DaemonSet/runc-e2e-sandbox'));
      expect(env.BINARY_PATH).toBe(BINARY_PATH);
      expect(env.RUNTIME_FILES).toBe('runc-e2e');
      expect(env.RUNTIME_TABLES).toContain(`BinaryName = "${BINARY_PATH}/runc-e2e"`);
    });

    test('before the install, containerd has no runtime for any rendered handler', async () => {
      await withLog(async () => {
        const version = await node!.cri.version();
        expect(version.runtimeName).toBe('containerd');
        expect(version.runtimeApiVersion).toBe('v1');
        for (const runtimeClass of ['runc-e2e-sandbox', 'gvisor-gv', 'kata-qemu-vm', 'kata-clh-vm']) {
          const handler = handlerOf(objects, runtimeClass);
          expect((await runFailure(handler)).details).toContain(`no runtime for "${handler}" is configured`);
        }
      });
    }, 60_000);

    test('after the rendered install and a restart, a sandbox with the runc-e2e handler becomes ready', async () => {
      const handler = handlerOf(objects, 'runc-e2e-sandbox');
      install('runc-e2e-sandbox', { 'runc-e2e': { from: tools.runc } });
      expect(fs.readFileSync(path.join(hostRoot, BINARY_PATH, 'runc-e2e')).equals(fs.readFileSync(tools.runc))).toBe(true);

      await withLog(async () => {
        await node!.restart();
        const id = await node!.cri.runPodSandbox(sandboxConfig('runc-e2e'), handler);
        const status = await node!.cri.podSandboxStatus(id);
        expect(status.state).toBe('SANDBOX_READY');
        expect(status.runtimeHandler).toBe(handler);

        await node!.cri.stopPodSandbox(id);
        expect((await node!.cri.podSandboxStatus(id)).state).toBe('SANDBOX_NOTREADY');
        await node!.cri.removePodSandbox(id);
        expect((await node!.cri.listPodSandbox()).map((s) => s.id)).not.toContain(id);
      });
    }, 90_000);

    test('after the rendered gVisor and Kata installs, each handler fails at its own shim', async () => {
      const gvisorFiles = installEnv(object(objects, 'DaemonSet/gvisor-gv')).RUNTIME_FILES.split('\n');
      const kataFiles = installEnv(object(objects, 'DaemonSet/kata-vm')).RUNTIME_FILES.split('\n');
      expect(gvisorFiles).toEqual(['runsc', 'containerd-shim-runsc-v1']);
      expect(kataFiles).toContain('containerd-shim-kata-v2');
      install('gvisor-gv', Object.fromEntries(gvisorFiles.map((f) => [f, standIn(f)])));
      install('kata-vm', Object.fromEntries(kataFiles.map((f) => [f, f.endsWith('.toml') ? { text: `# ${STAND_IN} ${f}\n` } : standIn(f)])));
      for (const file of [...gvisorFiles, ...kataFiles]) {
        expect(fs.existsSync(path.join(hostRoot, BINARY_PATH, file))).toBe(true);
      }
      expect(fs.readFileSync(path.join(hostRoot, 'etc/containerd/runsc.toml'), 'utf8')).toContain('net-raw = "true"');

      await withLog(async () => {
        await node!.restart();
        const shims: Record<string, string> = {
          'gvisor-gv': 'containerd-shim-runsc-v1',
          'kata-qemu-vm': 'containerd-shim-kata-v2',
          'kata-clh-vm': 'containerd-shim-kata-v2',
        };
        for (const [runtimeClass, shim] of Object.entries(shims)) {
          const handler = handlerOf(objects, runtimeClass);
          const error = await runFailure(handler);
          expect(error.details).not.toContain('no runtime for');
          // the shim containerd started is the installed one, found on PATH in binaryPath
          expect(error.details).toContain(`${STAND_IN} ${shim}: cannot run here (run as ${BINARY_PATH}/${shim})`);
        }
        // the runc-compatible runtime installed before still works next to them
        const id = await node!.cri.runPodSandbox(sandboxConfig('runc-e2e-again'), handlerOf(objects, 'runc-e2e-sandbox'));
        expect((await node!.cri.podSandboxStatus(id)).state).toBe('SANDBOX_READY');
        await node!.cri.stopPodSandbox(id);
        await node!.cri.removePodSandbox(id);
      });
    }, 90_000);
  });
}
