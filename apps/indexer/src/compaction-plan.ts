import type { ShardEntry } from '@audio-index/shared';

export interface CompactionPolicy {
  /** A merge never produces a shard larger than this (bytes of the `.faiss` file). */
  targetShardBytes: number;
  /** Shards of one size tier are merged once this many of them exist. */
  fanIn: number;
  /** A shard with a larger fraction of tombstoned rows is rewritten without them. */
  maxTombstoneRatio: number;
}

/** Bytes of the rows still visible, the header ignored: what a merge would write for it. */
function liveBytes(shard: ShardEntry): number {
  return shard.count === 0 ? 0 : (shard.bytes * (shard.count - shard.tombstones.length)) / shard.count;
}

/**
 * Which shards to merge next, oldest first; empty when nothing is worth it.
 *
 * Size-tiered, as in LSM stores: shards fall into tiers by live size (a factor `fanIn`
 * apart) and `fanIn` shards of one tier merge into one shard of the next. A vector is then
 * rewritten about log_fanIn(target / publish size) times in all, instead of once per merge
 * as when every new shard is folded into one growing shard.
 */
export function planCompaction(shards: readonly ShardEntry[], policy: CompactionPolicy): ShardEntry[] {
  const mergeable = shards.filter((shard) => liveBytes(shard) < policy.targetShardBytes / 2);
  const smallest = Math.max(1, Math.min(...mergeable.map(liveBytes)));
  const tiers = new Map<number, ShardEntry[]>();
  for (const shard of mergeable) {
    const tier = Math.floor(Math.log(Math.max(1, liveBytes(shard)) / smallest) / Math.log(policy.fanIn));
    tiers.set(tier, [...(tiers.get(tier) ?? []), shard]);
  }
  for (const tier of [...tiers.keys()].sort((a, b) => a - b)) {
    const members = tiers.get(tier)!;
    if (members.length < policy.fanIn) continue;
    const chosen: ShardEntry[] = [];
    let bytes = 0;
    for (const shard of members) {
      if (chosen.length === policy.fanIn || bytes + liveBytes(shard) > policy.targetShardBytes) break;
      chosen.push(shard);
      bytes += liveBytes(shard);
    }
    if (chosen.length >= 2) return chosen;
  }
  const worn = shards.find((shard) => shard.count > 0 && shard.tombstones.length / shard.count > policy.maxTombstoneRatio);
  return worn ? [worn] : [];
}
