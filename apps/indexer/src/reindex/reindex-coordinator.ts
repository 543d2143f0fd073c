import type { Redis } from 'ioredis';
import {
  BatchLedger,
  decodeShardRows,
  encodeCollectionModel,
  snapshotLayout,
  type ItemFailure,
  type Logger,
  type ObjectStore,
  type RedisKeys,
  type StreamOperation,
} from '@audio-index/shared';
import type { AppliedEntries } from '../applied-entries.ts';
import type { CollectionState } from '../collection-state.ts';
import type { GenerationRows } from '../generation-rows.ts';
import { modelMismatch, rowsOf, type StreamUpsert } from '../stream-upsert.ts';
import { GenerationBuild } from './generation-build.ts';
import { ReindexJobs } from './reindex-jobs.ts';

/** How often a leader with a reindex under way asks Redis whether every re-embed job has an outcome. */
const BUILD_CHECK_INTERVAL_MS = 250;

type StreamReindex = Extract<StreamOperation, { op: 'reindex' }>;

export interface ReindexCoordinatorDeps {
  redis: Redis;
  store: ObjectStore;
  keys: RedisKeys;
  logger: Logger;
}

/**
 * The reindex lifecycle of one collection (README, "Reindex"), for its leader: plan a
 * build from a request, route re-embedded vectors and changes made meanwhile into it, queue
 * its re-embed jobs before the commit that acks what asked for them, and end it (swap it in,
 * drop it, or abandon it). The build itself lives in the state (`CollectionState.build`), so
 * it is published and reloaded with the snapshot.
 */
export class ReindexCoordinator {
  private buildCheckedAt = 0;
  private jobs: ReindexJobs | undefined;
  private readonly ledger: BatchLedger;

  constructor(private readonly deps: ReindexCoordinatorDeps) {
    this.ledger = new BatchLedger(deps.redis, deps.keys);
  }

  /**
   * Starts a reindex: lists the served generation's items, queues one re-embed job per item
   * with a URL (enqueued before the commit that acknowledges this entry, so a crash re-plans
   * the same jobs), and records the new generation in the next manifest's `next`. The batch
   * total is final with that commit.
   */
  async plan(state: CollectionState, applied: AppliedEntries, request: StreamReindex): Promise<void> {
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
      this.deps.logger.info({ reindexId: request.reindexId, mode: request.mode, model: request.modelId ?? request.model }, 'reindex has nothing to re-embed');
      return;
    }
    const items = await servedItems(this.deps.store, state);
    const target = request.modelId && request.dim ? { id: request.modelId, dim: request.dim } : undefined;
    const build = new GenerationBuild(state.collection, request.reindexId, state.generation + 1, request.mode, request.model ?? state.modelRef, target);
    build.markDirty();
    credit.total = (credit.total ?? 0) + items.length;
    for (const item of items) {
      if (item.url) build.queueJob({ id: item.id, url: item.url, metadata: item.metadata });
      else credit.failures.push(noSourceUrl(item.id));
    }
    state.startBuild(build);
    this.deps.logger.info(
      { reindexId: request.reindexId, generation: build.generation, items: items.length, jobs: build.jobs.length, model: build.modelRef },
      'reindex planned',
    );
  }

  /**
   * An item of the served generation changed while a reindex builds the next one: its
   * re-embedded row (made from what it was) is hidden, and it is re-embedded again from
   * what it is now, counted in the reindex batch. One without a URL cannot be.
   */
  servedItemChanged(build: GenerationBuild, applied: AppliedEntries, operation: StreamUpsert, entryId: string): void {
    build.itemChanged(operation.id, operation.url);
    applied.creditOf(build.reindexId).total = (applied.creditOf(build.reindexId).total ?? 0) + 1;
    if (operation.url) build.queueJob({ id: operation.id, url: operation.url, metadata: operation.metadata, after: entryId });
    else applied.reject(build.reindexId, noSourceUrl(operation.id));
  }

  /**
   * A vector re-embedded for a reindex. It joins the generation being built when it belongs
   * to that build, comes from the build's model, and still stands for the item: the item is
   * in the served generation and, if it changed during the build, was re-embedded from its
   * new URL. Anything else is acknowledged and dropped (an ended build's straggler, or a
   * re-embed a later change made stale). Each counts once as `built` in the reindex batch.
   */
  applyRebuilt(state: CollectionState, applied: AppliedEntries, operation: StreamUpsert, alreadyPublished: boolean): void {
    const build = state.build;
    if (!build || build.reindexId !== operation.batchId || build.generation !== operation.generation) return;
    const model = build.rows.model;
    if (model && (model.id !== operation.modelId || model.dim !== operation.dim)) {
      applied.reject(operation.batchId, modelMismatch(operation, model));
      return;
    }
    const credit = applied.creditOf(build.reindexId);
    credit.built = (credit.built ?? 0) + 1;
    if (alreadyPublished) return;
    const changedUrl = build.changedUrl(operation.id);
    if (!state.holds(operation.id) || (changedUrl !== undefined && changedUrl !== (operation.url ?? ''))) return;
    build.addRebuilt(operation.id, { id: operation.modelId, dim: operation.dim }, rowsOf(operation));
  }

  /**
   * Once every re-embed job of the build has an outcome (re-embedded and applied, or failed)
   * and nothing else is pending, the next publish ends the build: it serves the new
   * generation, or, when not one item could be re-embedded, keeps the served one.
   */
  async checkComplete(state: CollectionState, applied: AppliedEntries): Promise<void> {
    const build = state.build;
    if (!build || build.outcome || Date.now() - this.buildCheckedAt < BUILD_CHECK_INTERVAL_MS) return;
    this.buildCheckedAt = Date.now();
    const progress = await this.ledger.reindexProgress(state.collection, build.reindexId);
    if (progress.listing === 'running' || progress.built + progress.failed < progress.total) return;
    applied.creditOf(build.reindexId).promote = true;
    applied.extras.releaseReindex = build.reindexId;
    if (build.rows.visibleCount === 0 || !build.rows.model) {
      build.finish('drop');
      this.deps.logger.warn({ reindexId: build.reindexId }, 'reindex re-embedded nothing; keeping the served generation');
      return;
    }
    build.finish('swap');
    applied.extras.collectionModel = build.modelRef ? encodeCollectionModel({ id: build.rows.model.id, ref: build.modelRef }) : null;
  }

  /** Ends the build before completion (a rollback replaced what it was re-embedding). */
  abandon(state: CollectionState, applied: AppliedEntries, code: string, message: string): void {
    const build = state.build;
    if (!build) return;
    const credit = applied.creditOf(build.reindexId);
    credit.failures.push({ id: '*', url: '', code, message, attempts: 1 });
    credit.total = (credit.total ?? 0) + 1;
    credit.listingDone = true;
    credit.abandon = true;
    applied.extras.releaseReindex = build.reindexId;
    state.abandonBuild();
    this.deps.logger.warn({ reindexId: build.reindexId, code }, 'reindex abandoned');
  }

  /**
   * Before the commit that acks the entries asking for them: a crash in between re-plans
   * the same job ids, which BullMQ (and the workers' outcome markers) take only once.
   */
  async enqueueBeforeCommit(state: CollectionState): Promise<void> {
    const build = state.build;
    if (build && build.jobs.length > 0) {
      await this.reindexJobs().enqueue(
        { collection: state.collection, reindexId: build.reindexId, generation: build.generation, model: build.modelRef },
        build.jobs,
      );
    }
    if (state.requeue.length > 0) await this.reindexJobs().requeue(state.collection, state.modelRef, state.requeue);
  }

  async close(): Promise<void> {
    await this.jobs?.close();
  }

  private reindexJobs(): ReindexJobs {
    this.jobs ??= new ReindexJobs(this.deps.redis, this.deps.keys);
    return this.jobs;
  }
}

function noSourceUrl(id: string): ItemFailure {
  return { id, url: '', code: 'NO_SOURCE_URL', message: 'imported as a vector without a URL: there is no recording to re-embed', attempts: 1 };
}

/** Items of the served generation (published rows and pending ones), with their URL and metadata. */
async function servedItems(
  store: ObjectStore,
  rows: GenerationRows,
): Promise<{ id: string; url?: string | undefined; metadata?: Record<string, unknown> | undefined }[]> {
  const items: { id: string; url?: string | undefined; metadata?: Record<string, unknown> | undefined }[] = [];
  for (const shard of rows.shards) {
    const body = await store.get(snapshotLayout.shardIds(rows.collection, shard.id));
    if (!body) throw new Error(`ids of shard ${shard.id} are missing from ${store.location}`);
    decodeShardRows(body.toString('utf8')).forEach((row, index) => {
      const location = rows.locations.get(row.id);
      if (location?.shardId === shard.id && location.row === index) items.push(row);
    });
  }
  for (const [id, row] of rows.pendingRows) items.push({ id, url: row.url, metadata: row.metadata });
  return items;
}
