/**
 * `npm run bench:artifacts`: what one shoot's Flux Kustomization fetches, and how many shoot
 * artifacts move, on a bench fleet (BENCH_ARTIFACT_SHOOTS, default 10,000) rendered with
 * `spec.gitops.flux.artifactGenerators: namespace`:
 * - GitRepository mode: the Kustomization fetches the source's whole artifact, the output tree
 *   (measured as a tar.gz of it, as source-controller packs it);
 * - ArtifactGenerator mode: it fetches its ExternalArtifact, the files its generator entry copies;
 * - a shoot artifact "changes" when the digest of those files changes: counted after install.sh
 *   changes (one appended comment line), then after one shoot's input changes.
 */
import { createHash } from 'crypto';
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { gitopsConfig } from '../gitops/config';
import { installerFiles } from '../installer/script';
import { OutputTree } from '../output/tree';
import { writeTree } from '../output/write';
import { prepareRun, renderRun } from '../pipeline/run';
import { changeOneShoot, writeFleet } from './fleet';

const shoots = Number(process.env.BENCH_ARTIFACT_SHOOTS ?? 10000);
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'shoot-runtimes-artifacts-'));
const input = path.join(work, 'fleet');
const out = path.join(work, 'out');
const config = gitopsConfig({ flux: { sourceRef: { name: 'fleet', namespace: 'flux-system' }, artifactGenerators: 'namespace' } })!;

function synth(files: Record<string, string>): void {
  const prepared = prepareRun({ inputs: [input], gitops: { config, outputPath: '.' }, installerFiles: files });
  writeTree(OutputTree.open(out, true), renderRun(prepared, { previousState: () => undefined }));
}

/** Every shoot artifact's directories (from the generators' copy operations), by artifact name. */
function artifacts(): Map<string, string[]> {
  const result = new Map<string, string[]>();
  const dir = path.join(out, 'flux', '_artifactgenerators');
  for (const ns of fs.readdirSync(dir)) {
    for (const file of fs.readdirSync(path.join(dir, ns))) {
      const generator = yaml.load(fs.readFileSync(path.join(dir, ns, file), 'utf8')) as any;
      for (const a of generator.spec.artifacts) result.set(a.name, a.copy.map((c: { to: string }) => c.to.replace(/^@artifact\//, '').replace(/\/$/, '')));
    }
  }
  return result;
}

function digestOf(dirs: readonly string[]): string {
  const hash = createHash('sha256');
  for (const dir of dirs) {
    for (const name of fs.readdirSync(path.join(out, dir)).sort()) hash.update(`${dir}/${name}\0`).update(fs.readFileSync(path.join(out, dir, name))).update('\0');
  }
  return hash.digest('hex');
}

const digests = () => new Map([...artifacts()].map(([name, dirs]) => [name, digestOf(dirs)]));
const changed = (a: Map<string, string>, b: Map<string, string>) => [...b].filter(([name, d]) => a.get(name) !== d).length;
const tgz = (...paths: string[]) => {
  const r = spawnSync('tar', ['-czf', '-', '-C', out, ...paths], { maxBuffer: 2 ** 31 });
  if (r.status !== 0) throw new Error(`tar failed: ${r.stderr}`);
  return r.stdout.length;
};
const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;

try {
  writeFleet(input, shoots);
  const files = installerFiles();
  synth(files);
  const first = artifacts();
  const [name, dirs] = [...first][0];
  const whole = tgz('.');
  const one = tgz(...dirs);
  const before = digests();
  synth({ ...files, 'install.sh': `${files['install.sh']}# a changed script\n` });
  const afterScript = digests();
  changeOneShoot(input);
  synth({ ...files, 'install.sh': `${files['install.sh']}# a changed script\n` });
  const afterShoot = digests();
  console.log(`${shoots} shoots (artifactGenerators: namespace), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('');
  console.log('| what one shoot\'s Kustomization fetches (tar.gz) | size |');
  console.log('|---|---:|');
  console.log(`| GitRepository mode: the whole output tree | ${kib(whole)} |`);
  console.log(`| ArtifactGenerator mode: its ExternalArtifact (${name}: ${dirs.join(', ')}) | ${kib(one)} |`);
  console.log('');
  console.log(`install.sh changed: ${changed(before, afterScript)} of ${before.size} shoot artifacts changed`);
  console.log(`one shoot's input changed: ${changed(afterScript, afterShoot)} of ${afterScript.size} shoot artifacts changed`);
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
