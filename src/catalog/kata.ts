import { RuntimeDefinition } from './types';

/**
 * The kata-deploy image of the last release line whose image still has a shell and `cp` (alpine);
 * from the release that switched to the Rust kata-deploy the image is distroless and the fetch
 * container's `cp` cannot run in it.
 */
const KATA_DEPLOY_IMAGE = 'quay.io/kata-containers/kata-deploy:3.20.0';
/** Where kata-deploy's image keeps Kata's static tree (`/opt/kata` on a node). */
const KATA_ARTIFACTS = '/opt/kata-artifacts/opt/kata';
/** The Go runtime's per-hypervisor configuration files inside that tree. */
const KATA_CONFIGS = `${KATA_ARTIFACTS}/share/defaults/kata-containers`;
const KATA_SHIM = `${KATA_ARTIFACTS}/bin/containerd-shim-kata-v2`;

/**
 * Kata Containers: lightweight VMs, one handler per hypervisor, from the kata-deploy image.
 *
 * Only the shim and the hypervisors' configuration files are copied (into binaryPath); each
 * handler's `ConfigPath` points at the installed file. The configuration files name the hypervisor,
 * guest kernel and guest image under /opt/kata, which this installer does not provide: the node
 * needs Kata's /opt/kata tree of the same release and /dev/kvm (docs/runtimes.md).
 * Overheads follow kata-deploy's RuntimeClasses (qemu deliberately above the 3.x value of 160Mi).
 */
export const KATA: RuntimeDefinition = {
  type: 'kata',
  aliases: ['kata-containers'],
  description: 'Kata Containers: each pod in a lightweight virtual machine (needs /dev/kvm and /opt/kata on the node)',
  image: KATA_DEPLOY_IMAGE,
  files: [
    KATA_SHIM,
    `${KATA_CONFIGS}/configuration-qemu.toml`,
    `${KATA_CONFIGS}/configuration-clh.toml`,
  ],
  classes: [
    {
      name: 'kata-qemu',
      handler: 'kata-qemu',
      runtimeType: 'io.containerd.kata.v2',
      options: { ConfigPath: '${binaryPath}/configuration-qemu.toml' },
      overhead: { memory: '320Mi', cpu: '250m' },
    },
    {
      name: 'kata-clh',
      handler: 'kata-clh',
      runtimeType: 'io.containerd.kata.v2',
      options: { ConfigPath: '${binaryPath}/configuration-clh.toml' },
      overhead: { memory: '130Mi', cpu: '250m' },
    },
  ],
  architectures: ['amd64'],
};

/**
 * Kata Containers with Firecracker, a type of its own because Firecracker only takes block-device
 * root filesystems: the handler needs containerd's devmapper snapshotter, which a node has only if
 * it was prepared for it (a thin pool and the snapshotter's configuration). A pool opts in by
 * declaring this type; declaring `kata` never registers a handler the node cannot serve.
 */
export const KATA_FC: RuntimeDefinition = {
  type: 'kata-fc',
  aliases: ['kata-firecracker'],
  description: 'Kata Containers with Firecracker (needs /dev/kvm, /opt/kata and the devmapper snapshotter on the node)',
  image: KATA_DEPLOY_IMAGE,
  files: [KATA_SHIM, `${KATA_CONFIGS}/configuration-fc.toml`],
  classes: [{
    name: 'kata-fc',
    handler: 'kata-fc',
    runtimeType: 'io.containerd.kata.v2',
    options: { ConfigPath: '${binaryPath}/configuration-fc.toml' },
    overhead: { memory: '130Mi', cpu: '250m' },
    snapshotter: 'devmapper',
  }],
  architectures: ['amd64'],
};
