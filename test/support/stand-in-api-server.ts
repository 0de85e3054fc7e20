import * as http from 'http';
import * as https from 'https';
import { AddressInfo } from 'net';

/**
 * A STAND-IN for a seed's Kubernetes API server, for tests only: it serves ContainerRuntimes
 * (extensions.gardener.cloud/v1alpha1) with the real wire format of the parts the acknowledger
 * uses. Lists carry a resourceVersion; watches (`?watch=1`) stream one JSON event per line from a
 * given resourceVersion, send BOOKMARK events when asked (allowWatchBookmarks), answer a
 * compacted resourceVersion with an ERROR event holding a 410 Expired Status, and end at
 * timeoutSeconds; PATCH takes only `application/merge-patch+json` (RFC 7386), honours a
 * metadata.resourceVersion precondition (409 Conflict), and, as for a CRD with a status
 * subresource, the main resource ignores status while `/status` takes only status. Writes to
 * spec bump metadata.generation. Optional bearer-token check and TLS with client certificates.
 */

const GROUP_VERSION = 'extensions.gardener.cloud/v1alpha1';
const BASE = `/apis/${GROUP_VERSION}`;

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly contentType?: string;
  readonly body?: any;
}

export interface StandInOptions {
  /** Require `Authorization: Bearer <token>`. */
  readonly token?: string;
  /** Serve TLS with this key and certificate; with `ca`, require a client certificate signed by it. */
  readonly tls?: { key: string; cert: string; ca?: string };
}

interface Event { type: string; object: any; rv: number }

export class StandInApiServer {
  public readonly requests: RecordedRequest[] = [];
  /** Answer the next N requests matching a predicate with this status (API errors on purpose). */
  public readonly failures: { match: (r: RecordedRequest) => boolean; status: number; times: number }[] = [];
  private readonly objects = new Map<string, any>();
  private events: Event[] = [];
  private compactedBefore = 0;
  private rv = 100;
  private readonly watchers = new Set<{ res: http.ServerResponse; bookmarks: boolean }>();
  private server!: http.Server;
  public url = '';

  constructor(private readonly options: StandInOptions = {}) {}

  public async start(): Promise<this> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => this.handle(req, res);
    this.server = this.options.tls
      ? https.createServer({ key: this.options.tls.key, cert: this.options.tls.cert, ca: this.options.tls.ca, requestCert: this.options.tls.ca !== undefined, rejectUnauthorized: this.options.tls.ca !== undefined }, handler)
      : http.createServer(handler);
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `${this.options.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
    return this;
  }

  public async stop(): Promise<void> {
    for (const w of this.watchers) w.res.destroy();
    this.server.closeAllConnections?.();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** What gardenlet does (containerruntime.go deploy): create or merge-patch the object with the operation and timestamp annotations. */
  public gardenletDeploy(namespace: string, name: string, spec: { type: string; pool: string; providerConfig?: unknown }, operation = 'reconcile', timestamp = new Date().toISOString()): any {
    const key = `${namespace}/${name}`;
    const existing = this.objects.get(key);
    const newSpec = {
      binaryPath: '/var/bin/containerruntimes', type: spec.type,
      workerPool: { name: spec.pool, selector: { matchLabels: { 'worker.gardener.cloud/pool': spec.pool, 'worker.garden.sapcloud.io/group': spec.pool } } },
      ...(spec.providerConfig !== undefined ? { providerConfig: spec.providerConfig } : {}),
    };
    const annotations = { ...(existing?.metadata.annotations ?? {}), 'gardener.cloud/operation': operation, 'gardener.cloud/timestamp': timestamp };
    if (existing) {
      const generation = JSON.stringify(existing.spec) === JSON.stringify(newSpec) ? existing.metadata.generation : existing.metadata.generation + 1;
      return this.store({ ...existing, metadata: { ...existing.metadata, annotations, generation }, spec: newSpec }, 'MODIFIED');
    }
    return this.store({ apiVersion: GROUP_VERSION, kind: 'ContainerRuntime', metadata: { name, namespace, generation: 1, annotations, uid: `uid-${key}` }, spec: newSpec }, 'ADDED');
  }

  public get(namespace: string, name: string): any {
    return this.objects.get(`${namespace}/${name}`);
  }

  /** A DELETE: with finalizers the object only gets a deletionTimestamp, and goes when the last finalizer does. */
  public delete(namespace: string, name: string): void {
    const object = this.objects.get(`${namespace}/${name}`);
    if (!object) return;
    if (object.metadata.finalizers?.length) {
      this.store({ ...object, metadata: { ...object.metadata, deletionTimestamp: object.metadata.deletionTimestamp ?? new Date().toISOString() } }, 'MODIFIED');
      return;
    }
    this.objects.delete(`${namespace}/${name}`);
    this.emit('DELETED', { ...object, metadata: { ...object.metadata, resourceVersion: String(++this.rv) } });
  }

  /** Another controller adds a finalizer (as Gardener's extension library does). */
  public addFinalizer(namespace: string, name: string, finalizer: string): void {
    const object = this.objects.get(`${namespace}/${name}`);
    this.store({ ...object, metadata: { ...object.metadata, finalizers: [...(object.metadata.finalizers ?? []), finalizer] } }, 'MODIFIED');
  }

  /** Sends a BOOKMARK (the current resourceVersion) to every watch that asked for bookmarks. */
  public bookmark(): void {
    for (const w of this.watchers) {
      if (w.bookmarks) w.res.write(`${JSON.stringify({ type: 'BOOKMARK', object: { kind: 'ContainerRuntime', apiVersion: GROUP_VERSION, metadata: { resourceVersion: String(this.rv) } } })}\n`);
    }
  }

  /** Other resources change (etcd's resourceVersion is shared): the version moves without a ContainerRuntime event. */
  public advance(by: number): void {
    this.rv += by;
  }

  /** Forgets the event history (etcd compaction): a watch from an older resourceVersion gets 410 Gone. */
  public compact(): void {
    this.compactedBefore = this.rv + 1;
    this.events = [];
  }

  /** Ends every open watch, as the server does at timeoutSeconds. */
  public endWatches(): void {
    for (const w of this.watchers) w.res.end();
    this.watchers.clear();
  }

  /** The latest resourceVersion (what a bookmark sends now). */
  public get resourceVersion(): number {
    return this.rv;
  }

  public get openWatches(): number {
    return this.watchers.size;
  }

  private store(object: any, type: string): any {
    const stored = { ...object, metadata: { ...object.metadata, resourceVersion: String(++this.rv) } };
    this.objects.set(`${stored.metadata.namespace}/${stored.metadata.name}`, stored);
    this.emit(type, stored);
    return stored;
  }

  private emit(type: string, object: any): void {
    const event = { type, object, rv: Number(object.metadata.resourceVersion) };
    this.events.push(event);
    for (const w of this.watchers) w.res.write(`${JSON.stringify({ type, object })}\n`);
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://stand-in');
      const text = Buffer.concat(chunks).toString('utf8');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET', path: url.pathname + url.search,
        contentType: req.headers['content-type'], body: text ? JSON.parse(text) : undefined,
      };
      this.requests.push(recorded);
      if (this.options.token !== undefined && req.headers.authorization !== `Bearer ${this.options.token}`) {
        return status(res, 401, 'Unauthorized', 'Unauthorized');
      }
      const failure = this.failures.find((f) => f.times > 0 && f.match(recorded));
      if (failure) {
        failure.times--;
        return status(res, failure.status, 'InternalError', 'injected failure');
      }
      this.route(req.method ?? 'GET', url, recorded.body, recorded.contentType, res);
    });
  }

  private route(method: string, url: URL, body: any, contentType: string | undefined, res: http.ServerResponse): void {
    if (method === 'GET' && url.pathname === `${BASE}/containerruntimes`) {
      if (url.searchParams.get('watch') === '1' || url.searchParams.get('watch') === 'true') return this.watch(url, res);
      return json(res, 200, { apiVersion: GROUP_VERSION, kind: 'ContainerRuntimeList', metadata: { resourceVersion: String(this.rv) }, items: [...this.objects.values()] });
    }
    const match = url.pathname.match(new RegExp(`^${BASE}/namespaces/([^/]+)/containerruntimes/([^/]+)(/status)?$`));
    if (!match) return status(res, 404, 'NotFound', `the server could not find the requested resource ${url.pathname}`);
    const key = `${decodeURIComponent(match[1])}/${decodeURIComponent(match[2])}`;
    const object = this.objects.get(key);
    if (!object) return status(res, 404, 'NotFound', `containerruntimes.extensions.gardener.cloud "${match[2]}" not found`);
    if (method === 'GET') return json(res, 200, object);
    if (method !== 'PATCH') return status(res, 405, 'MethodNotAllowed', 'method not allowed');
    if (contentType !== 'application/merge-patch+json') return status(res, 415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml`);
    const precondition = body?.metadata?.resourceVersion;
    if (precondition !== undefined && precondition !== object.metadata.resourceVersion) {
      return status(res, 409, 'Conflict', `Operation cannot be fulfilled on containerruntimes.extensions.gardener.cloud "${object.metadata.name}": the object has been modified; please apply your changes to the latest version and try again`);
    }
    const patched = mergePatch(object, body);
    const next = match[3]
      ? { ...object, status: patched.status }
      : { ...patched, status: object.status, metadata: { ...patched.metadata, generation: JSON.stringify(patched.spec) === JSON.stringify(object.spec) ? object.metadata.generation : object.metadata.generation + 1 } };
    if (next.status === undefined) delete next.status;
    if (next.metadata.deletionTimestamp !== undefined && !next.metadata.finalizers?.length) {
      this.objects.delete(key);
      const gone = { ...next, metadata: { ...next.metadata, resourceVersion: String(++this.rv) } };
      this.emit('DELETED', gone);
      return json(res, 200, gone);
    }
    return json(res, 200, this.store(next, 'MODIFIED'));
  }

  private watch(url: URL, res: http.ServerResponse): void {
    const from = Number(url.searchParams.get('resourceVersion') ?? '0');
    res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
    if (from < this.compactedBefore - 1) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `too old resource version: ${from} (${this.compactedBefore})`, reason: 'Expired', code: 410 } })}\n`);
      return;
    }
    for (const e of this.events.filter((x) => x.rv > from)) res.write(`${JSON.stringify({ type: e.type, object: e.object })}\n`);
    const watcher = { res, bookmarks: url.searchParams.get('allowWatchBookmarks') === 'true' };
    this.watchers.add(watcher);
    res.on('close', () => this.watchers.delete(watcher));
  }
}

function json(res: http.ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function status(res: http.ServerResponse, code: number, reason: string, message: string): void {
  json(res, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}

/** RFC 7386 JSON merge patch. */
export function mergePatch(target: any, patch: any): any {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
