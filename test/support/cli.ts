import { spawnSync } from 'child_process';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '..', '..');
export const BIN = path.join(ROOT, 'bin', 'shoot-runtimes');

export interface CliResult {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the compiled CLI as a user would (npm ci builds it; `npm test` rebuilds it first). */
export function cli(args: readonly string[], options: { cwd?: string } = {}): CliResult {
  const result = spawnSync(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}
