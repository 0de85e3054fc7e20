import { execFileSync, spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { gardenerWouldWait } from '../src/acknowledger/decide';
import { acknowledgerBundle } from '../src/gardener/bundle';
import { gzipStored, tar } from '../src/gardener/tar';
import { DEFAULT_ACKNOWLEDGER_IMAGE } from '../src/pipeline/registry';
import { cli } from './support/cli';
import { makeCertificates } from './support/certificates';
import { readTree, shoot, tempDir, writeFiles } from './support/fixtures';
import { StandInApiServer } from './support/stand-in-api-server';

const CRUN = '    crun: {image: "registry.example.com/crun:1.19", files: [/usr/bin/crun], architectures: [amd64], classes: [{name: crun, handler: crun, runtimeType: io.containerd.runc.v2, options: {BinaryName: "${binaryPath}/crun"}}]}';

/** A fleet: alpha declares gvisor, beta declares kata; crun is assigned by the pipeline (so not registered). */
function fleet(extension: string[], extra: string[] = [], files: Record<string, string> = {}) {
  const dir = writeFiles({
    'garden/alpha.yaml': shoot('garden-dev', 'alpha', [{ name: 'sandbox', runtimes: [{ type: 'gvisor' }] }, { name: 'plain' }]),
    'garden/beta.yaml': shoot('garden-dev', 'beta', [{ name: 'vm', runtimes: [{ type: 'kata' }] }]),
    'pipeline.yaml': [
      'apiVersion: shoot-runtimes.dev/v1alpha1', 'kind: Pipeline', 'metadata: {name: g}', 'spec:',
      '  sources: [garden]', '  output: {dir: out}', '  runtimes:', CRUN,
      '  assignments:', '    - {shoots: {names: [garden-dev/alpha]}, pool: plain, type: crun}',
      ...extra, '  gardener:', '    extension:', ...extension,
    ].join('\n'),
    ...files,
  });
  return { dir, config: path.join(dir, 'pipeline.yaml'), out: path.join(dir, 'out') };
}

function synth(config: string) {
  const result = cli(['synth', '--config', config]);
  if (result.status !== 0) throw new Error(`synth failed:\n${result.stderr}`);
  return result;
}

const load = (file: string) => yaml.load(fs.readFileSync(file, 'utf8')) as any;

/** The chart archive of a rendered ControllerDeployment, extracted with the system's tar. */
function extractChart(out: string, name = 'shoot-runtimes'): { archive: Buffer; dir: string; listing: string } {
  const archive = Buffer.from(load(path.join(out, `garden/controllerdeployment-${name}.yaml`)).helm.rawChart, 'base64');
  const dir = tempDir();
  fs.writeFileSync(path.join(dir, 'chart.tgz'), archive);
  execFileSync('tar', ['xzf', 'chart.tgz'], { cwd: dir });
  const listing = execFileSync('tar', ['tzvf', 'chart.tgz', '--numeric-owner'], { cwd: dir, encoding: 'utf8' });
  return { archive, dir: path.join(dir, 'shoot-runtimes-acknowledger'), listing };
}

/** What Helm makes of our two template directives (the only ones the chart uses). */
function helmRender(template: string, chartDir: string, namespace: string): any {
  const script = fs.readFileSync(path.join(chartDir, 'files/acknowledger.js'), 'utf8');
  const text = template
    .replace(/\{\{ \.Release\.Namespace \}\}/g, namespace)
    .replace('{{ (.Files.Glob "files/acknowledger.js").AsConfig | indent 2 }}', yaml.dump({ 'acknowledger.js': script }).trimEnd().split('\n').map((l) => `  ${l}`).join('\n'));
  expect(text).not.toContain('{{');
  return yaml.load(text);
}

test('synth writes the garden: a ControllerRegistration for the types the Shoots declare and a Helm ControllerDeployment, through the ownership record', () => {
  const { config, out } = fleet(['      {}']);
  synth(config);
  expect(Object.keys(readTree(path.join(out, 'garden'))).sort()).toEqual([
    'controllerdeployment-shoot-runtimes.yaml', 'controllerregistration-shoot-runtimes.yaml', 'kustomization.yaml',
  ]);
  const registration = load(path.join(out, 'garden/controllerregistration-shoot-runtimes.yaml'));
  expect(registration.apiVersion).toBe('core.gardener.cloud/v1beta1');
  // Assigned crun is not registered: Gardener's admission would then accept it in Shoots the tool does not render it for.
  expect(registration.spec.resources).toEqual([
    { kind: 'ContainerRuntime', type: 'gvisor', primary: true },
    { kind: 'ContainerRuntime', type: 'kata', primary: true },
  ]);
  expect(registration.spec.deployment).toEqual({ policy: 'OnDemand', deploymentRefs: [{ name: 'shoot-runtimes' }] });
  const deployment = load(path.join(out, 'garden/controllerdeployment-shoot-runtimes.yaml'));
  expect(deployment.apiVersion).toBe('core.gardener.cloud/v1');
  expect(Object.keys(deployment.helm)).toEqual(['rawChart']);
  const owned = JSON.parse(fs.readFileSync(path.join(out, '.shoot-runtimes/owned.json'), 'utf8'));
  expect(JSON.stringify(owned)).toContain('garden/controllerdeployment-shoot-runtimes.yaml');
  expect(execFileSync('kubectl', ['kustomize', path.join(out, 'garden')], { encoding: 'utf8' })).toContain('kind: ControllerRegistration');
  expect(cli(['check', '--config', config]).status).toBe(0);
  expect(synth(config).stderr).toContain(' 0 files written');
});

test('the chart archive is byte-identical across runs and input orders: sorted entries, owner 0:0, time 0, gzip without a timestamp', () => {
  const first = fleet(['      {types: [kata, gvisor]}']);
  synth(first.config);
  // The same fleet, its files named so that they are read in the other order.
  const second = fleet(['      {types: [gvisor, kata]}'], [], {});
  fs.renameSync(path.join(second.dir, 'garden/alpha.yaml'), path.join(second.dir, 'garden/zz-alpha.yaml'));
  synth(second.config);
  const a = extractChart(first.out);
  const b = extractChart(second.out);
  expect(a.archive.equals(b.archive)).toBe(true);
  expect(a.archive.subarray(0, 10)).toEqual(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]));
  const lines = a.listing.trim().split('\n');
  const names = lines.map((l) => l.split(/\s+/).pop()!);
  expect(names).toEqual([...names].sort());
  expect(names).toEqual([
    'shoot-runtimes-acknowledger/Chart.yaml',
    'shoot-runtimes-acknowledger/files/acknowledger.js',
    'shoot-runtimes-acknowledger/templates/clusterrole.yaml',
    'shoot-runtimes-acknowledger/templates/clusterrolebinding.yaml',
    'shoot-runtimes-acknowledger/templates/configmap.yaml',
    'shoot-runtimes-acknowledger/templates/deployment.yaml',
    'shoot-runtimes-acknowledger/templates/serviceaccount.yaml',
    'shoot-runtimes-acknowledger/values.yaml',
  ]);
  for (const line of lines) expect(line).toMatch(/^-rw-r--r-- 0\/0 .* 1970-01-01 00:00 /);
});

test('the chart: least-privilege RBAC, the acknowledger pinned by digest and mirrored, the script from files/', () => {
  const { config, out } = fleet(['      {name: runtimes}'], ['  registry: {mirror: "registry.internal:5000/mirror"}']);
  synth(config);
  expect(load(path.join(out, 'garden/controllerregistration-runtimes.yaml')).spec.deployment.deploymentRefs).toEqual([{ name: 'runtimes' }]);
  const { dir } = extractChart(out, 'runtimes');
  expect(load(path.join(dir, 'Chart.yaml'))).toEqual(expect.objectContaining({ apiVersion: 'v2', name: 'shoot-runtimes-acknowledger' }));
  const template = (name: string) => helmRender(fs.readFileSync(path.join(dir, 'templates', name), 'utf8'), dir, 'extension-runtimes');
  const role = template('clusterrole.yaml');
  expect(role.rules).toEqual([
    { apiGroups: ['extensions.gardener.cloud'], resources: ['containerruntimes'], verbs: ['get', 'list', 'watch', 'patch'] },
    { apiGroups: ['extensions.gardener.cloud'], resources: ['containerruntimes/status'], verbs: ['patch'] },
  ]);
  const binding = template('clusterrolebinding.yaml');
  expect(binding.roleRef.name).toBe(role.metadata.name);
  expect(binding.subjects).toEqual([{ kind: 'ServiceAccount', name: 'shoot-runtimes-acknowledger', namespace: 'extension-runtimes' }]);
  const deployment = template('deployment.yaml');
  const pod = deployment.spec.template.spec;
  expect(deployment.metadata.namespace).toBe('extension-runtimes');
  expect(pod.containers[0].image).toBe(DEFAULT_ACKNOWLEDGER_IMAGE.replace('docker.io', 'registry.internal:5000/mirror'));
  expect(pod.containers[0].image).toMatch(/^registry\.internal:5000\/mirror\/library\/node:20-alpine@sha256:[0-9a-f]{64}$/);
  expect(pod.containers[0].env).toEqual([{ name: 'TYPES', value: 'gvisor,kata' }]);
  expect(pod.containers[0].securityContext).toEqual({ allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } });
  expect(pod.serviceAccountName).toBe('shoot-runtimes-acknowledger');
  expect(deployment.spec.template.metadata.labels['networking.gardener.cloud/to-runtime-apiserver']).toBe('allowed');
  const configMap = template('configmap.yaml');
  expect(configMap.data['acknowledger.js']).toBe(fs.readFileSync(path.join(dir, 'files/acknowledger.js'), 'utf8'));
  expect(pod.volumes).toEqual([{ name: 'script', configMap: { name: configMap.metadata.name } }]);
});

test('the bundled acknowledger, as the chart carries it, runs on plain Node against an https API server with a service-account token, and stops on SIGTERM', async () => {
  const { config, out } = fleet(['      {}']);
  synth(config);
  const { dir } = extractChart(out);
  const certs = makeCertificates();
  const sa = tempDir();
  fs.writeFileSync(path.join(sa, 'ca.crt'), certs.ca);
  fs.writeFileSync(path.join(sa, 'token'), 'sa-token\n');
  const server = await new StandInApiServer({ token: 'sa-token', tls: { key: certs.serverKey, cert: certs.serverCert } }).start();
  try {
    server.gardenletDeploy('shoot--dev--alpha', 'gvisor-sandbox', { type: 'gvisor', pool: 'sandbox' });
    server.gardenletDeploy('shoot--dev--alpha', 'spin-sandbox', { type: 'spin', pool: 'sandbox' });
    // Outside the repository, with no node_modules anywhere near: only Node's built-ins.
    const script = path.join(tempDir(), 'acknowledger.js');
    fs.copyFileSync(path.join(dir, 'files/acknowledger.js'), script);
    const child = spawn(process.execPath, [script], {
      cwd: path.dirname(script),
      env: { PATH: process.env.PATH, TYPES: 'gvisor,kata', KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(server.url).port, SERVICE_ACCOUNT_DIR: sa },
    });
    let stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const end = Date.now() + 10000;
    while (gardenerWouldWait(server.get('shoot--dev--alpha', 'gvisor-sandbox')) !== undefined) {
      if (Date.now() > end) throw new Error(`not acknowledged; stderr:\n${stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(server.get('shoot--dev--alpha', 'spin-sandbox').status).toBeUndefined();
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('action=stop');
  } finally {
    await server.stop();
  }
});

test('the bundler refuses a module that requires anything but its own modules and Node\'s built-ins', () => {
  const dir = tempDir();
  for (const name of ['decide', 'client', 'acknowledger', 'in-cluster']) fs.writeFileSync(path.join(dir, `${name}.js`), 'const https = require("https");\n');
  expect(acknowledgerBundle(dir)).toContain('load("./in-cluster").main();');
  fs.writeFileSync(path.join(dir, 'client.js'), 'const yaml = require("js-yaml");\n');
  expect(() => acknowledgerBundle(dir)).toThrow('requires "js-yaml"');
});

test('tar and gzip: what the system tools read back is what went in', () => {
  const dir = tempDir();
  const big = 'x'.repeat(70000);
  fs.writeFileSync(path.join(dir, 'a.tgz'), gzipStored(tar([{ name: 'c/b.txt', content: 'b\n' }, { name: 'c/a.txt', content: big }])));
  execFileSync('tar', ['xzf', 'a.tgz'], { cwd: dir });
  expect(fs.readFileSync(path.join(dir, 'c/a.txt'), 'utf8')).toBe(big);
  expect(fs.readFileSync(path.join(dir, 'c/b.txt'), 'utf8')).toBe('b\n');
});

test('bad spec.gardener.extension: an unknown type, or no type to register, at its line', () => {
  const unknown = fleet(['      types: [gvisor, nope]']);
  const result = cli(['synth', '--config', unknown.config]);
  expect(result.status).toBe(1);
  expect(result.stderr).toMatch(/pipeline\.yaml:\d+: .*spec\.gardener\.extension\.types\[1\]: unknown runtime type "nope"/);
  const none = writeFiles({
    'garden/a.yaml': shoot('garden-dev', 'a', [{ name: 'p' }]),
    'pipeline.yaml': 'apiVersion: shoot-runtimes.dev/v1alpha1\nkind: Pipeline\nmetadata: {name: n}\nspec:\n  sources: [garden]\n  output: {dir: out}\n  gardener: {extension: {}}\n',
  });
  const empty = cli(['synth', '--config', path.join(none, 'pipeline.yaml')]);
  expect(empty.status).toBe(1);
  expect(empty.stderr).toContain('no runtime type to register');
  expect(fs.existsSync(path.join(none, 'out'))).toBe(false);
});

test('the Gardener schemas catch a broken ControllerRegistration or ControllerDeployment', () => {
  const { ControllerRegistration, ControllerDeployment } = require('../src/validate/gardener');
  const registration = { apiVersion: 'core.gardener.cloud/v1beta1', kind: 'ControllerRegistration', metadata: { name: 'r' }, spec: { resources: [{ kind: 'ContainerRuntime', type: 'gvisor' }], deployment: { policy: 'OnDemand', deploymentRefs: [{ name: 'r' }] } } };
  expect(() => new ControllerRegistration(registration).validate()).not.toThrow();
  expect(() => new ControllerRegistration({ ...registration, spec: { ...registration.spec, deployment: { policy: 'Sometimes' } } }).validate()).toThrow(/policy/);
  expect(() => new ControllerRegistration({ ...registration, spec: { resources: [{ kind: 'ContainerRuntime' }] } }).validate()).toThrow(/type/);
  expect(() => new ControllerDeployment({ apiVersion: 'core.gardener.cloud/v1', kind: 'ControllerDeployment', metadata: { name: 'r' }, helm: { rawChart: 'not base64!' } }).validate()).toThrow(/rawChart/);
  expect(() => new ControllerDeployment({ apiVersion: 'core.gardener.cloud/v1beta1', kind: 'ControllerDeployment', metadata: { name: 'r' }, type: 'helm' }).validate()).toThrow();
});
