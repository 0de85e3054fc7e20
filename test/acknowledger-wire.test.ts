import { spawn } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { Acknowledger } from '../src/acknowledger/acknowledger';
import { KubeClient } from '../src/acknowledger/client';
import { gardenerWouldWait } from '../src/acknowledger/decide';
import { BIN } from './support/cli';
import { TestCertificates, makeCertificates } from './support/certificates';
import { tempDir } from './support/fixtures';
import { StandInApiServer } from './support/stand-in-api-server';

// Every test here talks to a STAND-IN API server (test/support/stand-in-api-server.ts), not a real
// one: it speaks the wire format of list, watch, merge patch and the status subresource.

const NS = 'shoot--dev--alpha';
let server: StandInApiServer;
let certs: TestCertificates;

beforeAll(() => {
  certs = makeCertificates();
});

afterEach(async () => {
  await server?.stop();
});

/** Runs the CLI without blocking this process's event loop (the stand-in lives here). */
function cli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

function kubeconfig(server: string, user: Record<string, unknown>, cluster: Record<string, unknown> = {}): string {
  const file = path.join(tempDir(), 'kubeconfig');
  fs.writeFileSync(file, yaml.dump({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'seed',
    clusters: [{ name: 'seed', cluster: { server, ...cluster } }],
    users: [{ name: 'operator', user }],
    contexts: [{ name: 'seed', context: { cluster: 'seed', user: 'operator' } }],
  }));
  return file;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

async function eventually(check: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const healthy = (name: string) => gardenerWouldWait(server.get(NS, name)) === undefined;

test('acknowledge --once over http with a bearer token: status through /status as merge patches, then the annotation goes; other types untouched', async () => {
  server = await new StandInApiServer({ token: 's3cret' }).start();
  server.gardenletDeploy(NS, 'gvisor-sandbox', { type: 'gvisor', pool: 'sandbox' });
  server.gardenletDeploy(NS, 'other-sandbox', { type: 'other', pool: 'sandbox' });
  const result = await cli(['acknowledge', '--once', '--types', 'gvisor'], { KUBECONFIG: kubeconfig(server.url, { token: 's3cret' }) });
  expect(result.stderr).toContain('1 ContainerRuntime(s) acknowledged');
  expect(result.status).toBe(0);
  const object = server.get(NS, 'gvisor-sandbox');
  expect(object.metadata.annotations['gardener.cloud/operation']).toBeUndefined();
  expect(object.metadata.annotations['gardener.cloud/timestamp']).toBeDefined();
  expect(object.status).toEqual({
    observedGeneration: 1,
    lastOperation: expect.objectContaining({ type: 'Create', state: 'Succeeded', progress: 100 }),
  });
  expect(healthy('gvisor-sandbox')).toBe(true);
  expect(object.metadata.finalizers).toBeUndefined();
  const patches = server.requests.filter((r) => r.method === 'PATCH');
  expect(patches.map((p) => [p.path.replace(/.*containerruntimes\//, ''), p.contentType])).toEqual([
    ['gvisor-sandbox/status', 'application/merge-patch+json'],
    ['gvisor-sandbox', 'application/merge-patch+json'],
  ]);
  expect(patches[1].body).toEqual({ metadata: { resourceVersion: expect.any(String), annotations: { 'gardener.cloud/operation': null } } });
  // The object of another type was never written.
  expect(server.get(NS, 'other-sandbox').metadata.annotations['gardener.cloud/operation']).toBe('reconcile');
  expect(server.get(NS, 'other-sandbox').status).toBeUndefined();
  // Idempotent: a second pass writes nothing.
  const again = await cli(['acknowledge', '--once', '--types', 'gvisor'], { KUBECONFIG: kubeconfig(server.url, { token: 's3cret' }) });
  expect(again.stderr).toContain('0 ContainerRuntime(s) acknowledged');
  expect(server.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
});

test('acknowledge --once over https with a client certificate; a wrong token or CA is an error (exit 1)', async () => {
  server = await new StandInApiServer({ tls: { key: certs.serverKey, cert: certs.serverCert, ca: certs.ca } }).start();
  server.gardenletDeploy(NS, 'gvisor-sandbox', { type: 'gvisor', pool: 'sandbox' });
  const config = kubeconfig(server.url, { 'client-certificate-data': b64(certs.clientCert), 'client-key-data': b64(certs.clientKey) }, { 'certificate-authority-data': b64(certs.ca) });
  const result = await cli(['acknowledge', '--once'], { KUBECONFIG: config });
  expect(result.stderr).toContain('1 ContainerRuntime(s) acknowledged');
  expect(healthy('gvisor-sandbox')).toBe(true);
  // Without the CA the server's certificate is not trusted.
  const untrusted = await cli(['acknowledge', '--once'], { KUBECONFIG: kubeconfig(server.url, { 'client-certificate-data': b64(certs.clientCert), 'client-key-data': b64(certs.clientKey) }) });
  expect(untrusted.status).toBe(1);
  expect(untrusted.stderr).toMatch(/acknowledge: .*(self-signed|certificate)/);
});

test('a bearer token the server refuses: exit 1 with the server\'s message, nothing written', async () => {
  server = await new StandInApiServer({ token: 'right' }).start();
  server.gardenletDeploy(NS, 'gvisor-sandbox', { type: 'gvisor', pool: 'sandbox' });
  const result = await cli(['acknowledge', '--once'], { KUBECONFIG: kubeconfig(server.url, { token: 'wrong' }) });
  expect(result.status).toBe(1);
  expect(result.stderr).toContain('401 Unauthorized');
  expect(server.get(NS, 'gvisor-sandbox').status).toBeUndefined();
});

describe('the watch loop', () => {
  let acknowledger: Acknowledger;
  let running: Promise<void>;
  const log: string[] = [];

  async function startAcknowledger(types = ['gvisor']): Promise<void> {
    acknowledger = new Acknowledger({ client: new KubeClient({ server: server.url }), types, log: (l) => log.push(l), retryDelayMs: 20, watchTimeoutSeconds: 60 });
    running = acknowledger.run();
    await eventually(() => server.openWatches === 1, 'the watch');
  }

  afterEach(async () => {
    acknowledger.stop();
    await running;
  });

  test('lists, then watches from the list\'s resourceVersion with bookmarks; new requests are answered from watch events', async () => {
    server = await new StandInApiServer().start();
    server.gardenletDeploy(NS, 'gvisor-a', { type: 'gvisor', pool: 'a' });
    await startAcknowledger();
    await eventually(() => healthy('gvisor-a'), 'gvisor-a acknowledged from the list');
    const list = server.requests.find((r) => r.method === 'GET' && !r.path.includes('watch'))!;
    expect(list.path).toBe('/apis/extensions.gardener.cloud/v1alpha1/containerruntimes');
    const watch = server.requests.find((r) => r.path.includes('watch=1'))!;
    expect(watch.path).toMatch(/allowWatchBookmarks=true/);
    expect(watch.path).toMatch(/resourceVersion=101(&|$)/);
    // A new object and a new request on the old one (new spec: generation 2) come as watch events.
    server.gardenletDeploy(NS, 'gvisor-b', { type: 'gvisor', pool: 'b' });
    server.gardenletDeploy(NS, 'gvisor-a', { type: 'gvisor', pool: 'a', providerConfig: { debug: true } });
    await eventually(() => healthy('gvisor-b') && healthy('gvisor-a'), 'both acknowledged from watch events');
    expect(server.get(NS, 'gvisor-a').status).toEqual(expect.objectContaining({ observedGeneration: 2, lastOperation: expect.objectContaining({ type: 'Reconcile' }) }));
    // A bookmark moves the resourceVersion the next watch starts from.
    server.advance(50);
    server.bookmark();
    const bookmarked = server.resourceVersion;
    await new Promise((r) => setTimeout(r, 50));
    server.endWatches();
    await eventually(() => server.requests.filter((r) => r.path.includes('watch=1')).length === 2, 'the second watch');
    const second = server.requests.filter((r) => r.path.includes('watch=1'))[1];
    expect(Number(new URLSearchParams(second.path.split('?')[1]).get('resourceVersion'))).toBe(bookmarked);
    expect(server.requests.filter((r) => r.method === 'GET' && !r.path.includes('watch'))).toHaveLength(1);
  });

  test('410 Gone: an expired watch re-lists, and what changed in between is answered', async () => {
    server = await new StandInApiServer().start();
    await startAcknowledger();
    // The watch drops; meanwhile gardenlet writes and etcd compacts.
    server.endWatches();
    server.gardenletDeploy(NS, 'gvisor-late', { type: 'gvisor', pool: 'late' });
    server.compact();
    await eventually(() => healthy('gvisor-late'), 'gvisor-late acknowledged after the re-list');
    expect(log).toContain('action=relist reason=watch-expired');
    expect(server.requests.filter((r) => r.method === 'GET' && !r.path.includes('watch')).length).toBeGreaterThanOrEqual(2);
  });

  test('API errors and conflicts are retried; migrate and restore are answered with their types; deletion needs nothing', async () => {
    server = await new StandInApiServer().start();
    server.failures.push({ match: (r) => r.method === 'PATCH' && r.path.endsWith('/status'), status: 500, times: 2 });
    server.failures.push({ match: (r) => r.method === 'PATCH' && !r.path.endsWith('/status'), status: 409, times: 1 });
    await startAcknowledger();
    server.gardenletDeploy(NS, 'gvisor-x', { type: 'gvisor', pool: 'x' });
    await eventually(() => healthy('gvisor-x'), 'gvisor-x acknowledged after two failures');
    expect(log.filter((l) => l.startsWith('action=retry ') && l.includes('injected failure'))).toHaveLength(3);
    server.gardenletDeploy(NS, 'gvisor-x', { type: 'gvisor', pool: 'x' }, 'migrate');
    await eventually(() => healthy('gvisor-x') && server.get(NS, 'gvisor-x').status.lastOperation.type === 'Migrate', 'Migrate');
    server.gardenletDeploy(NS, 'gvisor-x', { type: 'gvisor', pool: 'x' }, 'wait-for-state');
    await new Promise((r) => setTimeout(r, 100));
    expect(server.get(NS, 'gvisor-x').metadata.annotations['gardener.cloud/operation']).toBe('wait-for-state');
    server.gardenletDeploy(NS, 'gvisor-x', { type: 'gvisor', pool: 'x' }, 'restore');
    await eventually(() => healthy('gvisor-x') && server.get(NS, 'gvisor-x').status.lastOperation.type === 'Restore', 'Restore');
    server.delete(NS, 'gvisor-x');
    expect(server.get(NS, 'gvisor-x')).toBeUndefined();
  });

  test('deletion: a finalizer left by the replaced extension is released, so the object goes; another controller\'s stays', async () => {
    server = await new StandInApiServer().start();
    await startAcknowledger();
    server.gardenletDeploy(NS, 'gvisor-old', { type: 'gvisor', pool: 'old' });
    server.addFinalizer(NS, 'gvisor-old', 'extensions.gardener.cloud/containerruntime');
    server.delete(NS, 'gvisor-old');
    await eventually(() => server.get(NS, 'gvisor-old') === undefined, 'gvisor-old gone');
    server.gardenletDeploy(NS, 'gvisor-kept', { type: 'gvisor', pool: 'kept' });
    server.addFinalizer(NS, 'gvisor-kept', 'example.com/other');
    server.delete(NS, 'gvisor-kept');
    await new Promise((r) => setTimeout(r, 100));
    expect(server.get(NS, 'gvisor-kept').metadata.finalizers).toEqual(['example.com/other']);
  });

  test('stop() ends the watch and run() resolves', async () => {
    server = await new StandInApiServer().start();
    await startAcknowledger();
    acknowledger.stop();
    await running;
    await eventually(() => server.openWatches === 0, 'the watch to close');
  });
});
