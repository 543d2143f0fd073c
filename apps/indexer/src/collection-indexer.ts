import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import {
  compareStreamIds,
  decodeStreamFields,
  readLatestVersion,
  readManifest,
  type Logger,
  type ObjectStore,
  type RedisKeys,
  type StreamOperation,
} from '@audio-index/shared';
import { AppliedEntries } from './applied-entries.ts';
import { CollectionMaintenance, type MergeTotals } from './collection-maintenance.ts';
import { CollectionState } from './collection-state.ts';
import type { IndexerConfig } from './env.ts';
import { pointLatestAt, repairLatest } from './latest-pointer.ts';
import { LeaderLock } from './leader-lock.ts';
import { LostLeadershipError } from './lost-leadership-error.ts';
import { publishAndCommit } from './publish-step.ts';
import { SnapshotCommit } from './snapshot-commit.ts';
import { SnapshotRetention } from './snapshot-retention.ts';
import { StreamReader, type RawStreamEntry } from './stream-reader.ts';

export { LostLeadershipError } from './lost-leadership-error.ts';

const READ_PAGE = 1000;
const PUBLISH_RETRY_MS = 1000;
/** How often an idle leader checks that LATEST still names the committed version. */
const LATEST_CHECK_INTERVAL_MS = 10_000;

export interface CollectionIndexerDeps {
  collection: string;
  /** A connection of its own: XREAD BLOCK blocks it. */
  blockingRedis: Redis;
  redis: Redis;
  store: ObjectStore;
  keys: RedisKeys;
  config: IndexerConfig;
  logger: Logger;
}

/**
 * The leader loop of one collection: win the lock, load the committed snapshot, then apply
 * the stream and publish. A publish writes shards and manifest, commits the version and
 * acks its entries in one fenced Redis step, then points LATEST at it. Anything that fails
 * before the commit is repaired by replaying the unacked entries.
 */
export class CollectionIndexer {
  private stopped = false;
  private readonly lock: LeaderLock;
  private readonly commit: SnapshotCommit;
  private readonly log: Logger;
  private fence = 0;
  private latestCheckedAt = 0;
  private latestBehind = false;
  private readonly mergeTotals: MergeTotals = { merges: 0, mergedVectors: 0, mergeBytesRead: 0, mergeBytesWritten: 0 };

  constructor(private readonly deps: CollectionIndexerDeps) {
    this.lock = new LeaderLock(deps.redis, deps.keys.indexerLock(deps.collection), deps.keys.indexerFence(deps.collection), deps.config.LEADER_LOCK_TTL_MS);
    this.commit = new SnapshotCommit(deps.redis, deps.keys, deps.collection);
    this.log = deps.logger.child({ collection: deps.collection });
  }

  /** What compaction did so far (benchmarks, metrics). */
  maintenanceTotals(): Readonly<MergeTotals> {
    return this.mergeTotals;
  }

  stop(): void {
    this.stopped = true;
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      const fence = await this.lock.tryAcquire().catch((error: unknown) => {
        this.log.error({ err: error }, 'leader lock attempt failed');
        return undefined;
      });
      if (fence === undefined) {
        await sleep(Math.min(1000, this.deps.config.LEADER_LOCK_TTL_MS / 4));
        continue;
      }
      this.fence = fence;
      this.log.info({ fence }, 'became indexer leader');
      try {
        await this.lead();
      } catch (error) {
        if (this.stopped) break; // stop() closes the blocking connection under the loop
        if (error instanceof LostLeadershipError) this.log.warn('lost indexer leadership');
        else this.log.error({ err: error }, 'indexer leader loop failed; retrying');
        await sleep(PUBLISH_RETRY_MS);
      } finally {
        await this.lock.release();
      }
    }
  }

  private async lead(): Promise<void> {
    const { store, collection, keys } = this.deps;
    const committed = await this.commit.committedVersion();
    // Redis knows what was committed (and acked); LATEST only for a Redis that never committed.
    const state = await CollectionState.load(store, collection, committed ?? (await readLatestVersion(store, collection)));
    // Check LATEST at once: the last leader may have died between its commit and LATEST.
    this.latestCheckedAt = 0;
    this.latestBehind = false;
    const reader = new StreamReader(this.deps.blockingRedis, keys.stream(collection), keys.indexerLock(collection), () => this.lock.heldToken, state.streamOffset);
    await reader.ensureGroup();
    this.log.info({ version: state.version, count: state.locations.size, offset: state.streamOffset }, 'loaded snapshot');
    const maintenance = this.createMaintenance();
    try {
      await this.follow(state, reader, maintenance);
    } finally {
      // A deposed or stopping leader leaves no merge or deletion running behind it.
      await maintenance.settle();
    }
  }

  private async follow(state: CollectionState, reader: StreamReader, maintenance: CollectionMaintenance): Promise<void> {
    const { config } = this.deps;
    let applied = new AppliedEntries();
    while (!this.stopped) {
      const waited = applied.firstAppliedAt === undefined ? 0 : Date.now() - applied.firstAppliedAt;
      const blockMs = applied.size === 0 ? config.PUBLISH_INTERVAL_MS : Math.max(1, config.PUBLISH_INTERVAL_MS - waited);
      const entries = await reader.read(READ_PAGE, blockMs);
      for (const entry of entries) await this.apply(state, applied, entry);

      const due =
        (applied.size > 0 &&
          (state.pendingChangeCount >= config.PUBLISH_MAX_CHANGES ||
            // entries that change nothing (rejected, deletes of unknown ids) still hold memory
            applied.size >= config.PUBLISH_MAX_CHANGES ||
            Date.now() - (applied.firstAppliedAt ?? 0) >= config.PUBLISH_INTERVAL_MS)) ||
        (applied.size === 0 && state.hasPendingChanges);
      if (due) {
        try {
          await this.publishAndCommit(state, applied);
          applied = new AppliedEntries();
        } catch (error) {
          if (error instanceof LostLeadershipError) throw error;
          // The store may be down: keep the changes unacked, keep serving the old snapshot, retry.
          this.log.error({ err: error }, 'publish failed; will retry');
          await sleep(PUBLISH_RETRY_MS);
        }
      }
      await this.keepLatestCurrent(state);
      maintenance.tick(state);
      if (!(await this.lock.isHeld())) throw new LostLeadershipError();
    }
  }

  private createMaintenance(): CollectionMaintenance {
    const { store, redis, keys, collection, config } = this.deps;
    const retention = new SnapshotRetention(
      store, redis, keys, collection, { keepVersions: config.RETENTION_VERSIONS, graceMs: config.RETENTION_GRACE_MS }, this.log,
    );
    const compaction = {
      targetShardBytes: config.COMPACTION_TARGET_SHARD_BYTES,
      fanIn: config.COMPACTION_FAN_IN,
      maxTombstoneRatio: config.COMPACTION_MAX_TOMBSTONE_RATIO,
    };
    return new CollectionMaintenance(this.mergeTotals, store, compaction, retention, config.RETENTION_INTERVAL_MS, this.log);
  }

  private async apply(state: CollectionState, applied: AppliedEntries, entry: RawStreamEntry): Promise<void> {
    applied.add(entry.id);
    let operation: StreamOperation;
    try {
      operation = decodeStreamFields(entry.fields);
    } catch (error) {
      this.log.error({ err: error, entryId: entry.id }, 'dropping malformed stream entry');
      return;
    }
    // Entries at or below the snapshot's offset are in it already: only acknowledge them.
    const alreadyPublished = compareStreamIds(entry.id, state.streamOffset) <= 0;
    if (operation.op === 'activate') {
      if (!alreadyPublished) await this.activate(state, operation.version);
      return;
    }
    if (operation.op === 'delete') {
      if (!alreadyPublished) state.delete(operation.id);
      return;
    }
    const model = state.model;
    if (model && (model.id !== operation.modelId || model.dim !== operation.vector.length)) {
      applied.reject(operation.batchId, {
        id: operation.id,
        url: operation.url ?? '',
        code: 'MODEL_MISMATCH',
        message: `collection holds ${model.id} (d=${model.dim}); got ${operation.modelId} (d=${operation.vector.length})`,
        attempts: 1,
      });
      return;
    }
    if (!alreadyPublished) {
      state.model ??= { id: operation.modelId, dim: operation.vector.length };
      state.upsert(operation.id, { vector: operation.vector, url: operation.url, metadata: operation.metadata });
    }
    applied.creditIndexed(operation.batchId);
  }

  private async activate(state: CollectionState, version: number): Promise<void> {
    try {
      const manifest = await readManifest(this.deps.store, this.deps.collection, version);
      await state.activate(this.deps.store, manifest);
      this.log.info({ version }, 'activating an earlier version');
    } catch (error) {
      // A version retention already removed (or that never existed) cannot be restored.
      this.log.error({ err: error, version }, 'ignoring activate of an unavailable version');
    }
  }

  private async publishAndCommit(state: CollectionState, applied: AppliedEntries): Promise<void> {
    const { redis, store, collection, keys } = this.deps;
    const lockToken = this.lock.heldToken;
    if (!lockToken) throw new LostLeadershipError();
    const started = Date.now();
    const streamOffset =
      applied.lastEntryId && compareStreamIds(applied.lastEntryId, state.streamOffset) > 0 ? applied.lastEntryId : state.streamOffset;
    const written = await publishAndCommit({
      store, commit: this.commit, state, lockToken, fence: this.fence, streamOffset, entryIds: applied.entryIds, credits: applied.credits,
    });
    if (!written) return;
    this.latestBehind = true;
    await this.keepLatestCurrent(state);
    this.log.info(
      { version: state.version, count: written.manifest.count, shards: written.manifest.shards.length, ms: Date.now() - started },
      'published snapshot',
    );
    await redis.publish(keys.snapshotChannel, JSON.stringify({ collection, version: state.version }));
  }

  /** Points LATEST at the committed version right after a commit, and checks it now and then. */
  private async keepLatestCurrent(state: CollectionState): Promise<void> {
    if (state.version === 0) return;
    const checkDue = Date.now() - this.latestCheckedAt >= LATEST_CHECK_INTERVAL_MS;
    if (!this.latestBehind && !checkDue) return;
    try {
      // Narrows the window in which a deposed leader could set LATEST back (latest-pointer.ts).
      if (!(await this.lock.isHeld())) throw new LostLeadershipError();
      if (this.latestBehind) await pointLatestAt(this.deps.store, this.deps.collection, state.version);
      else if (await repairLatest(this.deps.store, this.deps.collection, state.version)) this.log.warn({ version: state.version }, 'repaired LATEST');
      this.latestBehind = false;
      this.latestCheckedAt = Date.now();
    } catch (error) {
      if (error instanceof LostLeadershipError) throw error;
      // Committed already; LATEST catches up once the store answers again.
      this.log.error({ err: error }, 'writing LATEST failed; will retry');
    }
  }
}
