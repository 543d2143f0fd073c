import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { ingestItemJob, ingestJobId, jobCatalog, reportQueueErrors, type IngestItemPayload, type RedisKeys } from '@audio-index/shared';

/** One item to re-embed into a generation. `after`: the stream entry that changed it during a build. */
export interface ReindexItem {
  id: string;
  url: string;
  metadata?: Record<string, unknown> | undefined;
  after?: string | undefined;
}

export interface ReindexJobTarget {
  collection: string;
  reindexId: string;
  generation: number;
  /** Unset: the worker embeds with the collection's model. */
  model?: string | undefined;
}

const ENQUEUE_PAGE = 1000;
/**
 * BullMQ takes jobs without a priority first: re-embedding a large collection never holds
 * up new items, which the users are waiting for (they reach the new generation through
 * their own re-embed job, queued behind).
 */
const REINDEX_JOB_PRIORITY = 100;

/**
 * The indexer's side of a reindex: ingest-item jobs tagged with the generation they build
 * (and the model to embed with), on the ordinary ingest queue. Job ids are derived from the
 * reindex and the item (and, for an item changed during the build, the entry that changed
 * it), so enqueuing again after a crash adds nothing.
 */
export class ReindexJobs {
  private readonly queue: Queue;

  constructor(redis: Redis, keys: RedisKeys) {
    this.queue = new Queue(jobCatalog.ingestItem.queue, { connection: redis, prefix: keys.queuePrefix });
    reportQueueErrors(this.queue, 'reindex-jobs queue');
  }

  async enqueue(target: ReindexJobTarget, items: readonly ReindexItem[]): Promise<void> {
    for (let start = 0; start < items.length; start += ENQUEUE_PAGE) {
      const jobs = items.slice(start, start + ENQUEUE_PAGE).map((item) => {
        const payload: IngestItemPayload = {
          v: 1,
          batchId: target.reindexId,
          collection: target.collection,
          itemId: item.id,
          url: item.url,
          metadata: item.metadata,
          generation: target.generation,
          ...(target.model ? { model: target.model } : {}),
        };
        const job = ingestItemJob(payload);
        const jobId = item.after ? ingestJobId(`${target.reindexId}-${item.after}`, target.collection, item.id) : job.opts.jobId;
        return { ...job, opts: { ...job.opts, jobId, priority: REINDEX_JOB_PRIORITY } };
      });
      await this.queue.addBulk(jobs);
    }
  }

  /**
   * Items whose vector came from the model a reindex just replaced (embedded before the
   * workers saw the new one): embedded again with `model`, in their own batch.
   */
  async requeue(collection: string, model: string | undefined, items: readonly (ReindexItem & { batchId: string; after: string })[]): Promise<void> {
    for (let start = 0; start < items.length; start += ENQUEUE_PAGE) {
      const jobs = items.slice(start, start + ENQUEUE_PAGE).map((item) => {
        const payload: IngestItemPayload = {
          v: 1,
          batchId: item.batchId,
          collection,
          itemId: item.id,
          url: item.url,
          metadata: item.metadata,
          ...(model ? { model } : {}),
        };
        const job = ingestItemJob(payload);
        const jobId = ingestJobId(`${item.batchId}-${item.after}`, collection, item.id);
        return { ...job, opts: { ...job.opts, jobId } };
      });
      await this.queue.addBulk(jobs);
    }
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
