import * as fs from 'fs';
import * as path from 'path';
import * as yaml from 'js-yaml';
import { Connection } from './client';

/**
 * The connection of a kubeconfig's current context (for `shoot-runtimes acknowledge`; the seed
 * deployment uses its service account instead): server, CA, and a bearer token or a client
 * certificate, inline (`*-data`) or as files relative to the kubeconfig. Exec and auth-provider
 * plugins are not supported.
 */
export function kubeconfigConnection(file: string): Connection {
  const config = yaml.load(fs.readFileSync(file, 'utf8')) as any;
  const fail = (message: string): never => { throw new Error(`${file}: ${message}`); };
  const contextName = config?.['current-context'] ?? fail('no current-context');
  const named = (list: string, name: string) => (config?.[list] ?? []).find((e: any) => e?.name === name) ?? fail(`${list}: no entry named "${name}"`);
  const context = named('contexts', contextName).context ?? {};
  const cluster = named('clusters', context.cluster).cluster ?? {};
  const user = context.user !== undefined ? named('users', context.user).user ?? {} : {};
  if (typeof cluster.server !== 'string') fail(`cluster "${context.cluster}" has no server`);
  if (user.exec !== undefined || user['auth-provider'] !== undefined) fail(`user "${context.user}": exec and auth-provider plugins are not supported; use a token or a client certificate`);
  const base = path.dirname(file);
  const read = (data: unknown, name: unknown): Buffer | undefined => {
    if (typeof data === 'string') return Buffer.from(data, 'base64');
    if (typeof name === 'string') return fs.readFileSync(path.resolve(base, name));
    return undefined;
  };
  const tokenFile = typeof user.tokenFile === 'string' ? path.resolve(base, user.tokenFile) : undefined;
  const token = typeof user.token === 'string' ? user.token : undefined;
  return {
    server: cluster.server,
    ca: read(cluster['certificate-authority-data'], cluster['certificate-authority']),
    cert: read(user['client-certificate-data'], user['client-certificate']),
    key: read(user['client-key-data'], user['client-key']),
    ...(token !== undefined ? { token: () => token } : tokenFile !== undefined ? { token: () => fs.readFileSync(tokenFile, 'utf8').trim() } : {}),
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
  };
}
