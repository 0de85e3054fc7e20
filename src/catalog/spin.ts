import { RuntimeDefinition } from './types';

/**
 * Spin WebAssembly applications through SpinKube's containerd shim (containerd-shim-spin-v2).
 *
 * Image: the shim project's node-installer image (busybox, so it has `cp`), built for linux/amd64
 * and linux/arm64, which carries the shim as /assets/containerd-shim-spin-v2. The class name is the
 * one SpinKube's spin-operator uses by default, so SpinApps run unchanged.
 * `SystemdCgroup = true` matches nodes whose kubelet uses the systemd cgroup driver (Garden Linux on
 * cgroup v2); pools on cgroupfs override the class options (docs/runtimes.md).
 */
export const SPIN: RuntimeDefinition = {
  type: 'spin',
  aliases: ['wasm-spin'],
  description: 'Spin WebAssembly applications (SpinKube\'s containerd-shim-spin-v2)',
  image: 'ghcr.io/spinframework/containerd-shim-spin/node-installer:v0.19.0',
  files: ['/assets/containerd-shim-spin-v2'],
  classes: [{
    name: 'wasmtime-spin-v2',
    handler: 'spin',
    runtimeType: 'io.containerd.spin.v2',
    options: { SystemdCgroup: true },
  }],
  architectures: ['amd64', 'arm64'],
};
