import * as http from 'http';
import * as https from 'https';

/** How to reach an API server: the server URL and its credentials. */
export interface Connection {
  /** `https://host:port` or `http://host:port`, optionally with a path prefix. */
  readonly server: string;
  /** PEM of the CA that signed the server's certificate. @default - the system's CAs */
  readonly ca?: string | Buffer;
  /** PEM client certificate and key (client-certificate authentication). @default - none */
  readonly cert?: string | Buffer;
  readonly key?: string | Buffer;
  /** The bearer token, read for every request (projected tokens rotate). @default - none */
  readonly token?: () => string | undefined;
  /** Skip verifying the server's certificate (kubeconfig insecure-skip-tls-verify). @default false */
  readonly insecureSkipTlsVerify?: boolean;
}

/** An API server answered with an error status; `status` is the HTTP code (410 Gone, 409 Conflict, ...). */
export class ApiError extends Error {
  constructor(public readonly status: number, message: string) {
    super(message);
    this.name = 'ApiError';
  }
}

/** One event of a watch stream (ADDED, MODIFIED, DELETED, BOOKMARK, ERROR). */
export interface WatchEvent {
  readonly type: string;
  readonly object: any;
}

/** A running watch: `done` settles when the stream ends (resolves) or fails (rejects); `abort` ends it. */
export interface Watch {
  readonly done: Promise<void>;
  abort(): void;
}

/** The few Kubernetes REST calls the acknowledger needs, over Node's http/https only. */
export class KubeClient {
  constructor(private readonly connection: Connection) {}

  /** A JSON request; resolves to the parsed answer, rejects with ApiError on a status >= 400. */
  public request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<any> {
    return new Promise((resolve, reject) => {
      const req = this.send(method, path, contentType, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if ((res.statusCode ?? 0) >= 400) return reject(new ApiError(res.statusCode ?? 0, `${method} ${path}: ${res.statusCode} ${statusMessage(text)}`));
          try {
            resolve(text === '' ? undefined : JSON.parse(text));
          } catch {
            reject(new Error(`${method} ${path}: the answer is not JSON`));
          }
        });
      });
      req.on('error', reject);
      req.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }

  /**
   * A streaming GET of a watch URL: one JSON event per line. A connection silent for `idleMs`
   * fails (a peer that vanished without closing the connection would otherwise hang it forever).
   */
  public watch(path: string, onEvent: (event: WatchEvent) => void, idleMs = 0): Watch {
    let req: http.ClientRequest | undefined;
    let aborted = false;
    const done = new Promise<void>((resolve, reject) => {
      req = this.send('GET', path, undefined, (res) => {
        if ((res.statusCode ?? 0) >= 400) {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => reject(new ApiError(res.statusCode ?? 0, `watch ${path}: ${res.statusCode} ${statusMessage(Buffer.concat(chunks).toString('utf8'))}`)));
          return;
        }
        let buffered = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffered += chunk;
          let newline: number;
          while ((newline = buffered.indexOf('\n')) >= 0) {
            const line = buffered.slice(0, newline).trim();
            buffered = buffered.slice(newline + 1);
            if (line === '') continue;
            try {
              onEvent(JSON.parse(line));
            } catch (error) {
              req?.destroy();
              reject(error);
              return;
            }
          }
        });
        res.on('end', () => resolve());
        res.on('error', (error) => (aborted ? resolve() : reject(error)));
        // A connection closed without 'end' or 'error' still ends the watch (once settled, this is a no-op).
        res.on('close', () => resolve());
      });
      if (idleMs > 0) req.setTimeout(idleMs, () => req?.destroy(new Error(`watch ${path}: no data for ${idleMs} ms`)));
      req.on('error', (error) => (aborted ? resolve() : reject(error)));
      req.end();
    });
    return { done, abort: () => { aborted = true; req?.destroy(); } };
  }

  private send(method: string, path: string, contentType: string | undefined, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
    const { connection: c } = this;
    const url = new URL(c.server.replace(/\/+$/, '') + path);
    const token = c.token?.();
    const headers: Record<string, string> = { Accept: 'application/json', 'User-Agent': 'shoot-runtimes-acknowledger' };
    if (contentType !== undefined) headers['Content-Type'] = contentType;
    if (token) headers.Authorization = `Bearer ${token}`;
    if (url.protocol === 'http:') return http.request(url, { method, headers }, onResponse);
    return https.request(url, {
      method, headers, ca: c.ca, cert: c.cert, key: c.key, rejectUnauthorized: c.insecureSkipTlsVerify !== true,
    }, onResponse);
  }
}

/** The message of a Kubernetes Status answer, or the start of the text. */
function statusMessage(text: string): string {
  try {
    const status = JSON.parse(text);
    if (typeof status?.message === 'string') return status.message;
  } catch {
    // not JSON: quote it
  }
  return text.slice(0, 200);
}
