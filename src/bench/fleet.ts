import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';

/**
 * Writes a fleet of `shoots` Shoots (100 per file, 50 projects) in the bench's shape: per shoot
 * a pool without runtimes, a tainted pool with gVisor and Kata, and an arm64 pool with gVisor.
 */
export function writeFleet(dir: string, shoots: number): void {
  fs.mkdirSync(dir, { recursive: true });
  for (let first = 0; first < shoots; first += 100) {
    const docs: string[] = [];
    for (let i = first; i < Math.min(first + 100, shoots); i++) docs.push(yaml.dump(fleetShoot(i)));
    fs.writeFileSync(path.join(dir, `shoots-${String(first / 100).padStart(4, '0')}.yaml`), docs.join('---\n'));
  }
}

/** One shoot's input changes (shoot-0's gVisor flags): what a typical CI run after a merge sees. */
export function changeOneShoot(dir: string): void {
  const file = path.join(dir, 'shoots-0000.yaml');
  const text = fs.readFileSync(file, 'utf8');
  const changed = text.replace("net-raw: 'true'", "net-raw: 'false'");
  if (changed === text) throw new Error(`${file}: no gVisor flag to change`);
  fs.writeFileSync(file, changed);
}

function fleetShoot(i: number): object {
  const image = { name: 'gardenlinux', version: '1592.4.0' };
  return {
    apiVersion: 'core.gardener.cloud/v1beta1',
    kind: 'Shoot',
    metadata: { name: `shoot-${i}`, namespace: `garden-project-${i % 50}` },
    spec: {
      cloudProfileName: 'gcp',
      kubernetes: { version: '1.31.4' },
      provider: {
        type: 'gcp',
        workers: [
          { name: 'default', machine: { type: 'n2-standard-4', image }, minimum: 1, maximum: 3 },
          {
            name: 'sandbox',
            machine: { type: 'n2-standard-8', image },
            taints: [{ key: 'dedicated', value: 'sandbox', effect: 'NoSchedule' }],
            cri: { name: 'containerd', containerRuntimes: [{ type: 'gvisor', providerConfig: { configFlags: { 'net-raw': 'true' } } }, { type: 'kata' }] },
          },
          {
            name: 'arm',
            machine: { type: 'm7g.xlarge', image, architecture: 'arm64' },
            cri: { name: 'containerd', containerRuntimes: [{ type: 'gvisor' }] },
          },
        ],
      },
    },
  };
}
