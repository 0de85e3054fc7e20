import { RuntimeConfigFormat, RuntimeDefinition } from './types';

/**
 * gVisor, as Gardener's own gVisor extension installs it: runsc and its containerd shim, from the
 * extension's installation image, with flags from providerConfig in /etc/containerd/runsc.toml.
 *
 * Image: the extension's `gardener-extension-runtime-gvisor-installation` target (alpine, so it has
 * `cp`), built for linux/amd64 and linux/arm64, with both binaries under /var/content (see
 * docs/runtimes.md for the sources).
 */
export const GVISOR: RuntimeDefinition = {
  type: 'gvisor',
  description: 'gVisor application kernel (runsc): a user-space kernel between the container and the host',
  image: 'europe-docker.pkg.dev/gardener-project/releases/gardener/extensions/runtime-gvisor-installation:v0.40.0',
  files: ['/var/content/runsc', '/var/content/containerd-shim-runsc-v1'],
  classes: [{
    name: 'gvisor',
    handler: 'runsc',
    runtimeType: 'io.containerd.runsc.v1',
    options: {
      TypeUrl: 'io.containerd.runsc.v1.options',
      ConfigPath: '/etc/containerd/runsc.toml',
    },
  }],
  architectures: ['amd64', 'arm64'],
  config: { path: '/etc/containerd/runsc.toml', format: RuntimeConfigFormat.RUNSC_FLAGS },
};
