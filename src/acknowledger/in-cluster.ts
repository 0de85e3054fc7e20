import * as fs from 'fs';
import { Acknowledger } from './acknowledger';
import { Connection, KubeClient } from './client';

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/**
 * The pod's own API server and service account (the token is re-read: projected tokens rotate).
 * SERVICE_ACCOUNT_DIR overrides where the token and CA are (the tests run the bundle outside a pod).
 */
export function inClusterConnection(env: NodeJS.ProcessEnv = process.env, dir = env.SERVICE_ACCOUNT_DIR ?? SERVICE_ACCOUNT_DIR): Connection {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) throw new Error('KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set: not running in a pod');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: fs.readFileSync(`${dir}/ca.crt`),
    token: () => fs.readFileSync(`${dir}/token`, 'utf8').trim(),
  };
}

/** The seed deployment's entry point: TYPES (comma-separated) from the environment; stops on SIGTERM/SIGINT. */
export function main(): void {
  const types = (process.env.TYPES ?? '').split(',').map((t) => t.trim()).filter((t) => t !== '');
  if (types.length === 0) {
    process.stderr.write('TYPES is empty: no runtime type to acknowledge\n');
    process.exit(2);
  }
  const acknowledger = new Acknowledger({ client: new KubeClient(inClusterConnection()), types });
  process.stderr.write(`action=start types=${types.join(',')}\n`);
  const stop = () => acknowledger.stop();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  acknowledger.run().then(() => process.stderr.write('action=stop\n'));
}
