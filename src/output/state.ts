import * as fs from 'fs';
import * as path from 'path';
import { ShootRef } from '../model/container-runtime';
import { InstalledRuntime, ShootState, runtimeKey, stateFilePath } from '../model/installed-state';
import { STATE_DIR, readJson } from './ownership';

/** Reads each shoot's previous installed state from the output directory. */
export function previousStateReader(outDir: string): (shoot: ShootRef) => ShootState | undefined {
  return (shoot) => readJson<ShootState>(outDir, stateFilePath(shoot));
}

/**
 * How many synth runs each pending uninstall has been rendered in (`shoot/pool/type` -> runs):
 * tool state, not output, so that check never depends on it.
 */
export function uninstallRunsPath(shard?: string): string {
  return `${STATE_DIR}/uninstall-runs${shard ? `.${shard}` : ''}.json`;
}

export function uninstallKey(shoot: ShootRef, r: InstalledRuntime): string {
  return `${shoot.projectNamespace}/${shoot.name}/${runtimeKey(r)}`;
}

export class UninstallRuns {
  private readonly next: Record<string, number> = {};

  constructor(private readonly outDir: string, private readonly shard?: string,
    private readonly previous = readJson<Record<string, number>>(outDir, uninstallRunsPath(shard)) ?? {}) {}

  /** Runs a pending uninstall has been rendered in so far. */
  public runs(shoot: ShootRef, r: InstalledRuntime): number {
    return this.previous[uninstallKey(shoot, r)] ?? 0;
  }

  /** Counts this run for every uninstall of a shoot's new state. */
  public record(shoot: ShootRef, state: ShootState): void {
    for (const r of state.uninstalling) this.next[uninstallKey(shoot, r)] = this.runs(shoot, r) + 1;
  }

  /** Writes the counts (after the tree was written); removes the file when nothing is pending. */
  public save(): void {
    const file = path.join(this.outDir, uninstallRunsPath(this.shard));
    const keys = Object.keys(this.next).sort();
    if (keys.length === 0) return void fs.rmSync(file, { force: true });
    const temp = `${file}.shoot-runtimes-tmp`;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(temp, `${JSON.stringify(Object.fromEntries(keys.map((k) => [k, this.next[k]])), null, 2)}\n`);
    fs.renameSync(temp, file);
  }
}
