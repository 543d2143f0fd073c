import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import {
  CollectionCatalog,
  compareStreamIds,
  isStoreOutage,
  readLatestVersion,
  SnapshotNotices,
  type Logger,
  type ObjectStore,
  type RedisKeys,
} from '@audio-index/shared';
import { AppliedEntries } from './applied-entries.ts';
import { dropCollection } from './collection-drop.ts';
import { FailureBackoff } from './failure-backoff.ts';
import { CollectionMaintenance, type MergeTotals } from './collection-maintenance.ts';
import { CollectionState } from './collection-state.ts';
import type { CollectionIndexerOptions } from './env.ts';
import type { IndexerMetrics } from './indexer-metrics.ts';
import { LatestKeeper } from './latest-keeper.ts';
import { LeaderLock } from './leader-lock.ts';
import { LostLeadershipError } from './lost-leadership-error.ts';
import { ReindexCoordinator } from './reindex/reindex-coordinator.ts';
import { SnapshotCommit } from './snapshot-commit.ts';
import { publishAndCommit } from './snapshot-publisher.ts';
import { SnapshotRetention } from './snapshot-retention.ts';
import { StreamEntryApplier } from './stream-entry-applier.ts';
import { StreamReader } from './stream-reader.ts';
import type { StreamWatcher } from './stream-watcher.ts';

const READ_PAGE = 1000;
const PUBLISH_RETRY_MS = 1000;

export interface CollectionIndexerDeps {
  collection: string;
  /** Waits for new entries on behalf of every collection of the process (one connection for all). */
  streamWatcher: StreamWatcher;
  /** Shared by every collection of the process: nothing here blocks it. */
  redis: Redis;
  store: ObjectStore;
  keys: RedisKeys;
  config: CollectionIndexerOptions;
  logger: Logger;
  metrics?: IndexerMetrics;
}

/**
 * The leader loop of one collection: win the lock, load the committed snapshot, then apply
 * the stream and publish. A publish writes shards and manifest, commits the version and
 * acks its entries in one fenced Redis step, then points LATEST at it. Anything that fails
 * before the commit is repaired by replaying the unacked entries.
 */
/** Thrown out of the leader loop to drop the collection while the lock is still held. */
class DropRequested extends Error {}

export class CollectionIndexer {
  private stopped = false;
  private dropRequested = false;
  /** True once this collection was deleted for good (its loop has ended). */
  dropped = false;
  private readonly lock: LeaderLock;
  private readonly commit: SnapshotCommit;
  private readonly log: Logger;
  private fence = 0;
  private readonly latest: LatestKeeper;
  private readonly failures = new FailureBackoff(PUBLISH_RETRY_MS);
  private readonly stopping = new AbortController();
  private readonly reindex: ReindexCoordinator;
  private readonly entries: StreamEntryApplier;
  private readonly catalog: CollectionCatalog;
  private readonly notices: SnapshotNotices;
  private readonly mergeTotals: MergeTotals = { merges: 0, mergedVectors: 0, mergeBytesRead: 0, mergeBytesWritten: 0 };

  constructor(private readonly deps: CollectionIndexerDeps) {
    this.lock = new LeaderLock(deps.redis, deps.keys.indexerLock(deps.collection), deps.keys.indexerFence(deps.collection), deps.config.leader.lockTtlMs);
    this.commit = new SnapshotCommit(deps.redis, deps.keys, deps.collection, { batchRetentionSeconds: deps.config.batches.retentionSeconds });
    this.log = deps.logger.child({ collection: deps.collection });
    this.latest = new LatestKeeper(deps.store, deps.collection, this.lock, this.commit, this.log);
    this.reindex = new ReindexCoordinator({ redis: deps.redis, store: deps.store, keys: deps.keys, logger: this.log });
    this.entries = new StreamEntryApplier(deps.store, this.reindex, this.log);
    this.catalog = new CollectionCatalog(deps.redis, deps.keys);
    this.notices = new SnapshotNotices(deps.redis, deps.keys);
  }

  /** What compaction did so far (benchmarks, metrics). */
  maintenanceTotals(): Readonly<MergeTotals> {
    return this.mergeTotals;
  }

  stop(): void {
    this.stopped = true;
    this.stopping.abort();
  }

  /** `DELETE /v1/collections/:c`: the leader drops the collection at its next turn (collection-drop.ts). */
  requestDrop(): void {
    this.dropRequested = true;
  }

  async run(): Promise<void> {
    while (!this.stopped) {
      const fence = await this.lock.tryAcquire().catch((error: unknown) => {
        this.log.error({ err: error }, 'leader lock attempt failed');
        return undefined;
      });
      if (fence === undefined) {
        await sleep(Math.min(1000, this.deps.config.leader.lockTtlMs / 4));
        continue;
      }
      this.fence = fence;
      this.log.info({ fence }, 'became indexer leader');
      const ledSince = Date.now();
      let retryInMs = 0;
      try {
        await this.lead();
      } catch (error) {
        if (error instanceof DropRequested) {
          await this.drop();
          continue;
        }
        if (this.stopped) break; // stop() closes the watcher under the loop
        if (error instanceof LostLeadershipError) {
          this.log.warn('lost indexer leadership');
          retryInMs = PUBLISH_RETRY_MS;
        } else {
          const { attempt, retryInMs: backoff, loud } = this.failures.next(Date.now() - ledSince);
          this.log[loud ? 'error' : 'debug']({ err: error, attempt, retryInMs: backoff }, 'indexer leader loop failed; retrying');
          retryInMs = backoff;
        }
      } finally {
        await this.lock.release();
      }
      // Without the lock, so a standby may take over meanwhile; stop() cuts the wait short.
      if (retryInMs > 0) await sleep(retryInMs, undefined, { signal: this.stopping.signal }).catch(() => undefined);
    }
    await this.reindex.close();
  }

  /** Under the lock, after the loop and its maintenance settled; a failure is retried by the next leadership. */
  private async drop(): Promise<void> {
    try {
      if (!(await this.lock.isHeld())) return;
      await dropCollection({ redis: this.deps.redis, store: this.deps.store, keys: this.deps.keys, collection: this.deps.collection, logger: this.log });
      this.dropped = true;
      this.stopped = true;
    } catch (error) {
      this.log.error({ err: error }, 'deleting the collection failed; retrying');
      await sleep(PUBLISH_RETRY_MS);
    }
  }

  private async lead(): Promise<void> {
    const { store, collection, keys } = this.deps;
    if (this.dropRequested) throw new DropRequested();
    // A standby that won the lock just after a drop finished must not bring the stream back.
    if (!(await this.catalog.has(collection))) {
      this.stopped = true;
      return;
    }
    const committed = await this.commit.committedVersion();
    // Redis knows what was committed (and acked); LATEST only for a Redis that never committed.
    const state = await CollectionState.load(store, collection, committed ?? (await readLatestVersion(store, collection)));
    this.latest.reset();
    const reader = new StreamReader(
      this.deps.redis,
      keys.stream(collection),
      keys.indexerLock(collection),
      () => this.lock.heldToken,
      state.streamOffset,
      this.deps.streamWatcher,
    );
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
      const blockMs = applied.size === 0 ? config.publish.intervalMs : Math.max(1, config.publish.intervalMs - waited);
      // A build that is complete goes out before anything else is applied: a change read now
      // would reach the served generation but not the one about to replace it.
      const entries = state.build?.outcome ? [] : await reader.read(READ_PAGE, blockMs);
      for (const entry of entries) await this.entries.apply(state, applied, entry);
      if (applied.size === 0 && !state.hasPendingChanges) await this.reindex.checkComplete(state, applied);

      const due =
        (applied.size > 0 &&
          (state.pendingChangeCount >= config.publish.maxChanges ||
            // entries that change nothing (rejected, deletes of unknown ids) still hold memory
            applied.size >= config.publish.maxChanges ||
            Date.now() - (applied.firstAppliedAt ?? 0) >= config.publish.intervalMs)) ||
        (applied.size === 0 && state.hasPendingChanges);
      if (due) {
        try {
          await this.publishAndCommit(state, applied);
          applied = new AppliedEntries();
        } catch (error) {
          if (error instanceof LostLeadershipError) throw error;
          // The store may be down: keep the changes unacked, keep serving the old snapshot, retry.
          // A store outage is reported once (and its end) by the dependency registry; a stack per retry says nothing more.
          if (isStoreOutage(error)) this.log.debug({ err: error }, 'publish failed (store unreachable); will retry');
          else this.log.error({ err: error }, 'publish failed; will retry');
          await sleep(PUBLISH_RETRY_MS);
        }
      }
      await this.latest.keepCurrent(state);
      maintenance.tick(state);
      if (!(await this.lock.isHeld())) throw new LostLeadershipError();
      // Whatever is applied but unpublished goes with the collection.
      if (this.dropRequested) throw new DropRequested();
    }
  }

  private createMaintenance(): CollectionMaintenance {
    const { store, redis, keys, collection, config } = this.deps;
    const retention = new SnapshotRetention(store, redis, keys, collection, config.retention, this.log);
    return new CollectionMaintenance(this.mergeTotals, store, config.compaction, retention, config.retention.intervalMs, this.log);
  }

  private async publishAndCommit(state: CollectionState, applied: AppliedEntries): Promise<void> {
    const { store, collection } = this.deps;
    const lockToken = this.lock.heldToken;
    if (!lockToken) throw new LostLeadershipError();
    const started = Date.now();
    const streamOffset = applied.lastEntryId && compareStreamIds(applied.lastEntryId, state.streamOffset) > 0 ? applied.lastEntryId : state.streamOffset;
    await this.reindex.enqueueBeforeCommit(state);
    const written = await publishAndCommit({
      store,
      commit: this.commit,
      state,
      lockToken,
      fence: this.fence,
      streamOffset,
      entryIds: applied.entryIds,
      credits: applied.credits,
      extras: applied.extras,
      stopping: () => this.stopped,
      onCommitRetry: (error, attempt) => this.log.warn({ err: error, attempt }, 'commit got no answer; sending the same commit again'),
    });
    if (!written) {
      // Nothing new to serve: the credits of these entries are due now, unless LATEST still lags an earlier version.
      if (!this.latest.isBehind) await this.latest.creditServed(state);
      return;
    }
    if (written.next && !written.manifest.next) this.log.info({ version: state.version, generation: state.generation, model: state.model }, 'reindex ended');
    this.latest.markBehind();
    await this.latest.keepCurrent(state);
    this.deps.metrics?.published((Date.now() - started) / 1000, applied.entryIds);
    this.log.info(
      { version: state.version, count: written.manifest.count, shards: written.manifest.shards.length, ms: Date.now() - started },
      'published snapshot',
    );
    await this.notices.publish({ collection, version: state.version });
    // One line per item at debug, so one item can be followed from accept to served.
    if (this.log.isLevelEnabled('debug')) {
      for (const item of applied.items) this.log.debug({ ...item, version: state.version }, 'served');
    }
  }
}
