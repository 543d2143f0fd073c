import type { Redis } from 'ioredis';
import { CommittedVersions, readManifest, snapshotLayout, type Logger, type ObjectStore, type RedisKeys } from '@audio-index/shared';

export interface RetentionPolicy {
  /** Committed versions kept for rollback, the current one included. */
  keepVersions: number;
  /** An object is deleted only once it has been unreferenced for this long. */
  graceMs: number;
}

export interface RetentionOutcome {
  deletedManifests: number;
  deletedObjects: number;
}

/**
 * Deletes what no kept version references: manifests older than the last `keepVersions`
 * committed ones, and shard objects none of the kept manifests (nor the leader's current
 * state) names.
 *
 * The grace period protects what is about to be referenced or is still being read: a
 * shard written by a publish or merge whose manifest is not committed yet, a version an
 * API instance is loading right now. "Unreferenced since" is remembered in memory, so a
 * restart only ever delays a deletion.
 */
export class SnapshotRetention {
  private readonly unreferencedSince = new Map<string, number>();

  constructor(
    private readonly store: ObjectStore,
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly collection: string,
    private readonly policy: RetentionPolicy,
    private readonly logger: Logger,
  ) {}

  /** `currentVersion` and `liveShardIds` are the leader's state: never deleted whatever Redis says. */
  async run(currentVersion: number, liveShardIds: ReadonlySet<string>, now = Date.now()): Promise<RetentionOutcome> {
    const { store, collection } = this;
    const versions = new CommittedVersions(this.redis, this.keys);
    const committed = (await versions.list(collection)).filter((version) => version <= currentVersion);
    const kept = new Set([...committed.slice(-this.policy.keepVersions), currentVersion]);

    const referenced = new Set(liveShardIds);
    for (const version of kept) {
      try {
        const manifest = await readManifest(store, collection, version);
        // A reindex's generation under construction is referenced by `next` only.
        for (const shard of [...manifest.shards, ...(manifest.next?.shards ?? [])]) referenced.add(shard.id);
      } catch (error) {
        // Better to keep too much than to delete what a kept version needs.
        this.logger.warn({ err: error, version }, 'retention cannot read a kept manifest; skipping this round');
        return { deletedManifests: 0, deletedObjects: 0 };
      }
    }

    const candidates: string[] = [];
    for await (const key of store.list(snapshotLayout.manifestsPrefix(collection))) {
      const version = Number(key.slice(key.lastIndexOf('/') + 1).replace(/\.json$/, ''));
      // Versions above ours may be a publish in flight; uncommitted ones below are dead.
      if (Number.isInteger(version) && version < currentVersion && !kept.has(version)) candidates.push(key);
    }
    const shardsPrefix = `${collection}/shards/`;
    for await (const key of store.list(shardsPrefix)) {
      const shardId = key.slice(shardsPrefix.length).replace(/\.(faiss|ids\.jsonl)$/, '');
      if (!referenced.has(shardId)) candidates.push(key);
    }

    const candidateSet = new Set(candidates);
    for (const key of this.unreferencedSince.keys()) if (!candidateSet.has(key)) this.unreferencedSince.delete(key);
    let deletedManifests = 0;
    let deletedObjects = 0;
    for (const key of candidates) {
      const since = this.unreferencedSince.get(key);
      if (since === undefined) this.unreferencedSince.set(key, now);
      if (since === undefined || now - since < this.policy.graceMs) continue;
      await store.delete(key);
      this.unreferencedSince.delete(key);
      deletedObjects += 1;
      if (key.includes('/manifests/')) deletedManifests += 1;
    }
    const oldestKept = Math.min(...kept);
    await versions.forgetBelow(collection, oldestKept);
    return { deletedManifests, deletedObjects };
  }
}
