import { RuntimeDefinition } from './types';

const KATA_CONFIGS = '/opt/kata-artifacts/opt/kata/share/defaults/kata-containers';

/**
 * Kata Containers: lightweight VMs, one handler per hypervisor, from the kata-deploy image.
 * Overheads are the ones kata-deploy's RuntimeClasses declare.
 */
export const KATA: RuntimeDefinition = {
  type: 'kata',
  aliases: ['kata-containers'],
  description: 'Kata Containers: each pod in a lightweight virtual machine (needs /dev/kvm on the node)',
  image: 'quay.io/kata-containers/kata-deploy:3.11.0',
  files: [
    '/opt/kata-artifacts/opt/kata/bin/containerd-shim-kata-v2',
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
