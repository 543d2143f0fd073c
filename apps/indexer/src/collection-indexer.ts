import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import {
  compareStreamIds,
  decodeStreamFields,
  readLatestVersion,
  readManifest,
  type ItemFailure,
  type Logger,
  type ObjectStore,
  type RedisKeys,
  type StreamOperation,
} from '@audio-index/shared';
import { AppliedEntries } from './applied-entries.ts';
import { dropCollection } from './collection-drop.ts';
import { CollectionMaintenance, type MergeTotals } from './collection-maintenance.ts';
import { CollectionState, type PendingRow } from './collection-state.ts';
import { GenerationBuild, servedItems } from './generation-build.ts';
import type { IndexerConfig } from './env.ts';
import type { IndexerMetrics } from './indexer-metrics.ts';
import { pointLatestAt, repairLatest } from './latest-pointer.ts';
import { ReindexJobs } from './reindex/reindex-jobs.ts';
import { LeaderLock } from './leader-lock.ts';
import { LostLeadershipError } from './lost-leadership-error.ts';
import { publishAndCommit } from './publish-step.ts';
import { SnapshotCommit } from './snapshot-commit.ts';
import { SnapshotRetention } from './snapshot-retention.ts';
import { StreamReader, type RawStreamEntry } from './stream-reader.ts';
import type { StreamWatcher } from './stream-watcher.ts';

export { LostLeadershipError } from './lost-leadership-error.ts';

const READ_PAGE = 1000;
const PUBLISH_RETRY_MS = 1000;
/** How often an idle leader checks that LATEST still names the committed version. */
const LATEST_CHECK_INTERVAL_MS = 10_000;
/** How often a leader with a reindex under way asks Redis whether every re-embed job has an outcome. */
const BUILD_CHECK_INTERVAL_MS = 250;

type StreamUpsert = Extract<StreamOperation, { op: 'upsert' }>;
type StreamReindex = Extract<StreamOperation, { op: 'reindex' }>;

export interface CollectionIndexerDeps {
  collection: string;
  /** Waits for new entries on behalf of every collection of the process (one connection for all). */
  streamWatcher: StreamWatcher;
  /** Shared by every collection of the process: nothing here blocks it. */
  redis: Redis;
  store: ObjectStore;
  keys: RedisKeys;
  config: IndexerConfig;
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
  private latestCheckedAt = 0;
  private latestBehind = false;
  private buildCheckedAt = 0;
  private reindexJobs: ReindexJobs | undefined;
  private readonly mergeTotals: MergeTotals = { merges: 0, mergedVectors: 0, mergeBytesRead: 0, mergeBytesWritten: 0 };

  constructor(private readonly deps: CollectionIndexerDeps) {
    this.lock = new LeaderLock(deps.redis, deps.keys.indexerLock(deps.collection), deps.keys.indexerFence(deps.collection), deps.config.LEADER_LOCK_TTL_MS);
    this.commit = new SnapshotCommit(deps.redis, deps.keys, deps.collection, { batchRetentionSeconds: deps.config.BATCH_RETENTION_SECONDS });
    this.log = deps.logger.child({ collection: deps.collection });
  }

  /** What compaction did so far (benchmarks, metrics). */
  maintenanceTotals(): Readonly<MergeTotals> {
    return this.mergeTotals;
  }

  stop(): void {
    this.stopped = true;
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
        await sleep(Math.min(1000, this.deps.config.LEADER_LOCK_TTL_MS / 4));
        continue;
      }
      this.fence = fence;
      this.log.info({ fence }, 'became indexer leader');
      try {
        await this.lead();
      } catch (error) {
        if (error instanceof DropRequested) {
          await this.drop();
          continue;
        }
        if (this.stopped) break; // stop() closes the watcher under the loop
        if (error instanceof LostLeadershipError) this.log.warn('lost indexer leadership');
        else this.log.error({ err: error }, 'indexer leader loop failed; retrying');
        await sleep(PUBLISH_RETRY_MS);
      } finally {
        await this.lock.release();
      }
    }
    await this.reindexJobs?.close();
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
    if ((await this.deps.redis.sismember(keys.collections, collection)) === 0) {
      this.stopped = true;
      return;
    }
    const committed = await this.commit.committedVersion();
    // Redis knows what was committed (and acked); LATEST only for a Redis that never committed.
    const state = await CollectionState.load(store, collection, committed ?? (await readLatestVersion(store, collection)));
    // Check LATEST at once: the last leader may have died between its commit and LATEST.
    this.latestCheckedAt = 0;
    this.latestBehind = false;
    const reader = new StreamReader(this.deps.redis, keys.stream(collection), keys.indexerLock(collection), () => this.lock.heldToken, state.streamOffset, this.deps.streamWatcher);
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
      // A build that is complete goes out before anything else is applied: a change read now
      // would reach the served generation but not the one about to replace it.
      const entries = state.build?.outcome ? [] : await reader.read(READ_PAGE, blockMs);
      for (const entry of entries) await this.apply(state, applied, entry);
      if (applied.size === 0 && !state.hasPendingChanges) await this.checkBuildComplete(state, applied);

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
      // Whatever is applied but unpublished goes with the collection.
      if (this.dropRequested) throw new DropRequested();
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
    if (operation.op === 'upsert' || operation.op === 'delete') {
      applied.items.push({ itemId: operation.id, batchId: operation.batchId, entryId: entry.id, op: operation.op });
      this.log.debug({ itemId: operation.id, batchId: operation.batchId, entryId: entry.id, op: operation.op, alreadyPublished }, 'applied');
    }
    if (operation.op === 'activate') {
      if (!alreadyPublished) {
        if (state.build) this.endBuild(state, applied, 'REINDEX_ABANDONED', `snapshot version ${operation.version} was activated while the reindex ran`);
        await this.activate(state, applied, operation.version);
      }
      return;
    }
    if (operation.op === 'reindex') {
      if (!alreadyPublished) await this.planReindex(state, applied, operation);
      return;
    }
    if (operation.op === 'delete') {
      if (!alreadyPublished) {
        state.delete(operation.id);
        state.build?.rows.delete(operation.id);
      }
      return;
    }
    if (operation.generation !== undefined) {
      this.applyRebuilt(state, applied, operation, alreadyPublished);
      return;
    }
    const model = state.model;
    if (model && (model.id !== operation.modelId || model.dim !== operation.dim)) {
      const previous = state.previousModel;
      if (previous && previous.id === operation.modelId && previous.dim === operation.dim && operation.url && operation.batchId) {
        // Embedded with the model a reindex just replaced: embedded again with the new one.
        if (!alreadyPublished) state.requeue.push({ id: operation.id, url: operation.url, metadata: operation.metadata, batchId: operation.batchId, after: entry.id });
        return;
      }
      applied.reject(operation.batchId, mismatch(operation, model));
      return;
    }
    if (!alreadyPublished) {
      state.model ??= { id: operation.modelId, dim: operation.dim };
      state.segmentation ??= operation.segmentation;
      state.upsert(operation.id, rowsOf(operation));
      if (state.build) this.rebuildChanged(state.build, applied, operation, entry.id);
    }
    applied.creditIndexed(operation.batchId);
  }

  /**
   * An item of the served generation changed while a reindex builds the next one: its
   * re-embedded row (made from what it was) is hidden, and it is re-embedded again from
   * what it is now, counted in the reindex batch. One without a URL cannot be.
   */
  private rebuildChanged(build: GenerationBuild, applied: AppliedEntries, operation: StreamUpsert, entryId: string): void {
    build.rows.delete(operation.id);
    build.changedUrls.set(operation.id, operation.url ?? '');
    build.dirty = true;
    applied.creditOf(build.reindexId).total = (applied.creditOf(build.reindexId).total ?? 0) + 1;
    if (operation.url) build.jobs.push({ id: operation.id, url: operation.url, metadata: operation.metadata, after: entryId });
    else applied.reject(build.reindexId, noSourceUrl(operation.id));
  }

  /**
   * A vector re-embedded for a reindex. It joins the generation being built when it belongs
   * to that build, comes from the build's model, and still stands for the item: the item is
   * in the served generation and, if it changed during the build, was re-embedded from its
   * new URL. Anything else is acknowledged and dropped (an ended build's straggler, or a
   * re-embed a later change made stale). Each counts once as `built` in the reindex batch.
   */
  private applyRebuilt(state: CollectionState, applied: AppliedEntries, operation: StreamUpsert, alreadyPublished: boolean): void {
    const build = state.build;
    if (!build || build.reindexId !== operation.batchId || build.generation !== operation.generation) return;
    const model = build.rows.model;
    if (model && (model.id !== operation.modelId || model.dim !== operation.dim)) {
      applied.reject(operation.batchId, mismatch(operation, model));
      return;
    }
    const credit = applied.creditOf(build.reindexId);
    credit.built = (credit.built ?? 0) + 1;
    if (alreadyPublished) return;
    const changedUrl = build.changedUrls.get(operation.id);
    if (!state.holds(operation.id) || (changedUrl !== undefined && changedUrl !== (operation.url ?? ''))) return;
    if (!model) {
      build.rows.model = { id: operation.modelId, dim: operation.dim };
      build.dirty = true;
    }
    build.rows.upsert(operation.id, rowsOf(operation));
  }

  /**
   * Starts a reindex (README, "Reindex"): lists the served generation's items, queues one
   * re-embed job per item with a URL (enqueued before the commit that acknowledges this
   * entry, so a crash re-plans the same jobs), and records the new generation in the next
   * manifest's `next`. The batch total is final with that commit.
   */
  private async planReindex(state: CollectionState, applied: AppliedEntries, request: StreamReindex): Promise<void> {
    const credit = applied.creditOf(request.reindexId);
    credit.listingDone = true;
    if (state.build) {
      // Only if the active-reindex key was lost: the running build goes on, this one ends.
      credit.failures.push({ id: '*', url: '', code: 'REINDEX_IN_PROGRESS', message: `reindex ${state.build.reindexId} is running`, attempts: 1 });
      credit.total = (credit.total ?? 0) + 1;
      return;
    }
    const model = state.model;
    // The target model is the served one when the request names none, or names its card id or the ref it was loaded by.
    const sameModel = request.model === undefined || request.model === state.modelRef || (request.modelId !== undefined && request.modelId === model?.id);
    if (!model || state.visibleCount === 0 || (request.mode === 'missing' && sameModel)) {
      // Nothing to re-embed: an empty collection, or every item already has a vector of the target model.
      applied.extras.releaseReindex = request.reindexId;
      this.log.info({ reindexId: request.reindexId, mode: request.mode, model: request.modelId ?? request.model }, 'reindex has nothing to re-embed');
      return;
    }
    const items = await servedItems(this.deps.store, state);
    const target = request.modelId && request.dim ? { id: request.modelId, dim: request.dim } : undefined;
    const build = new GenerationBuild(state.collection, request.reindexId, state.generation + 1, request.mode, request.model ?? state.modelRef, target);
    build.dirty = true;
    credit.total = (credit.total ?? 0) + items.length;
    for (const item of items) {
      if (item.url) build.jobs.push({ id: item.id, url: item.url, metadata: item.metadata });
      else credit.failures.push(noSourceUrl(item.id));
    }
    state.build = build;
    this.log.info({ reindexId: request.reindexId, generation: build.generation, items: items.length, jobs: build.jobs.length, model: build.modelRef }, 'reindex planned');
  }

  /**
   * Once every re-embed job of the build has an outcome (re-embedded and applied, or failed)
   * and nothing else is pending, the next publish ends the build: it serves the new
   * generation, or, when not one item could be re-embedded, keeps the served one.
   */
  private async checkBuildComplete(state: CollectionState, applied: AppliedEntries): Promise<void> {
    const build = state.build;
    if (!build || build.outcome || Date.now() - this.buildCheckedAt < BUILD_CHECK_INTERVAL_MS) return;
    this.buildCheckedAt = Date.now();
    const [total, built, failed, listing] = await this.deps.redis.hmget(this.deps.keys.batch(state.collection, build.reindexId), 'total', 'built', 'failed', 'listing');
    if (listing === 'running' || Number(built ?? 0) + Number(failed ?? 0) < Number(total ?? 0)) return;
    applied.creditOf(build.reindexId).promote = true;
    applied.extras.releaseReindex = build.reindexId;
    if (build.rows.visibleCount === 0 || !build.rows.model) {
      build.outcome = 'drop';
      this.log.warn({ reindexId: build.reindexId }, 'reindex re-embedded nothing; keeping the served generation');
      return;
    }
    build.outcome = 'swap';
    applied.extras.collectionModel = build.modelRef ? JSON.stringify({ id: build.rows.model.id, ref: build.modelRef }) : null;
  }

  /** Ends the build before completion (a rollback replaced what it was re-embedding). */
  private endBuild(state: CollectionState, applied: AppliedEntries, code: string, message: string): void {
    const build = state.build;
    if (!build) return;
    const credit = applied.creditOf(build.reindexId);
    credit.failures.push({ id: '*', url: '', code, message, attempts: 1 });
    credit.total = (credit.total ?? 0) + 1;
    credit.listingDone = true;
    credit.abandon = true;
    applied.extras.releaseReindex = build.reindexId;
    state.build = undefined;
    state.layoutChanged = true;
    this.log.warn({ reindexId: build.reindexId, code }, 'reindex abandoned');
  }

  private async activate(state: CollectionState, applied: AppliedEntries, version: number): Promise<void> {
    try {
      const manifest = await readManifest(this.deps.store, this.deps.collection, version);
      const modelBefore = state.model?.id;
      await state.activate(this.deps.store, manifest);
      if (modelBefore !== manifest.model.id) {
        // Back across a reindex: new items are embedded with the model of that version again.
        applied.extras.collectionModel = manifest.modelRef ? JSON.stringify({ id: manifest.model.id, ref: manifest.modelRef }) : null;
      }
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
    const build = state.build;
    if (build && build.jobs.length > 0) {
      // Before the commit that acks the entries asking for them: a crash in between re-plans
      // the same job ids, which BullMQ (and the workers' outcome markers) take only once.
      this.reindexJobs ??= new ReindexJobs(redis, keys);
      await this.reindexJobs.enqueue({ collection, reindexId: build.reindexId, generation: build.generation, model: build.modelRef }, build.jobs);
    }
    if (state.requeue.length > 0) {
      this.reindexJobs ??= new ReindexJobs(redis, keys);
      await this.reindexJobs.requeue(collection, state.modelRef, state.requeue);
    }
    const written = await publishAndCommit({
      store, commit: this.commit, state, lockToken, fence: this.fence, streamOffset, entryIds: applied.entryIds, credits: applied.credits, extras: applied.extras,
      stopping: () => this.stopped,
      onCommitRetry: (error, attempt) => this.log.warn({ err: error, attempt }, 'commit got no answer; sending the same commit again'),
    });
    if (!written) {
      // Nothing new to serve: the credits of these entries are due now, unless LATEST still lags an earlier version.
      if (!this.latestBehind) await this.creditServed(state);
      return;
    }
    if (written.next && !written.manifest.next) this.log.info({ version: state.version, generation: state.generation, model: state.model }, 'reindex ended');
    this.latestBehind = true;
    await this.keepLatestCurrent(state);
    this.deps.metrics?.published((Date.now() - started) / 1000, applied.entryIds);
    this.log.info(
      { version: state.version, count: written.manifest.count, shards: written.manifest.shards.length, ms: Date.now() - started },
      'published snapshot',
    );
    await redis.publish(keys.snapshotChannel, JSON.stringify({ collection, version: state.version }));
    // One line per item at debug, so one item can be followed from accept to served.
    if (this.log.isLevelEnabled('debug')) {
      for (const item of applied.items) this.log.debug({ ...item, version: state.version }, 'served');
    }
  }

  /**
   * Batch counters follow what is served (DESIGN §4: `indexed` counts items visible in the
   * served snapshot): a commit queues its credits, applied here once LATEST names its version.
   */
  private async creditServed(state: CollectionState): Promise<void> {
    try {
      const applied = await this.commit.creditServed(state.version);
      if (applied > 0) this.log.debug({ version: state.version, commits: applied }, 'credited batches of served versions');
    } catch (error) {
      // Never thrown into the publish: its entries are committed. The next LATEST check retries.
      this.log.error({ err: error }, 'crediting batches failed; will retry');
    }
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
      await this.creditServed(state);
    } catch (error) {
      if (error instanceof LostLeadershipError) throw error;
      // Committed already; LATEST catches up once the store answers again.
      this.log.error({ err: error }, 'writing LATEST failed; will retry');
    }
  }
}

function mismatch(operation: StreamUpsert, model: { id: string; dim: number }): ItemFailure {
  return {
    id: operation.id,
    url: operation.url ?? '',
    code: 'MODEL_MISMATCH',
    message: `collection holds ${model.id} (d=${model.dim}); got ${operation.modelId} (d=${operation.dim})`,
    attempts: 1,
  };
}

function noSourceUrl(id: string): ItemFailure {
  return { id, url: '', code: 'NO_SOURCE_URL', message: 'imported as a vector without a URL: there is no recording to re-embed', attempts: 1 };
}

/** A recording's rows as the state keeps them until the next publish. */
function rowsOf(operation: StreamUpsert): PendingRow {
  return { vectors: operation.vectors, segments: operation.segments, url: operation.url, metadata: operation.metadata };
}
