import { createHash } from 'crypto';
import { ShootRef, shootKey } from '../model/container-runtime';

/** Shard `index` (1-based) of `count`: a deterministic share of the fleet for one CI job. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

/** Parses `I/N` (1 <= I <= N); `undefined` when the text is not of that form. */
export function parseShard(text: string): Shard | undefined {
  const match = /^([1-9][0-9]*)\/([1-9][0-9]*)$/.exec(text);
  if (!match) return undefined;
  const [index, count] = [Number(match[1]), Number(match[2])];
  return index <= count ? { index, count } : undefined;
}

/**
 * Whether a shoot belongs to a shard: by a hash of its key, so a shoot stays in its shard when
 * others come and go, and every shoot is in exactly one shard.
 */
export function inShard(shard: Shard, shoot: ShootRef): boolean {
  const hash = createHash('sha256').update(shootKey(shoot)).digest().readUInt32BE(0);
  return hash % shard.count === shard.index - 1;
}

/** `shard-2-of-4`: names the shard's ownership record and journal. */
export function shardName(shard: Shard): string {
  return `shard-${shard.index}-of-${shard.count}`;
}
