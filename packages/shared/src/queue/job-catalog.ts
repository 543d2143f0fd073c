import { z } from 'zod';
import { collectionNameSchema, ingestJobId, itemIdSchema } from '../names.ts';

/**
 * The job catalog: every job name with its payload schema, queue and retry policy.
 * The API enqueues through it and the worker parses with it, so both agree by construction.
 */
export const ingestItemPayloadSchema = z.object({
  v: z.literal(1),
  batchId: z.string().min(1).max(64),
  collection: collectionNameSchema,
  itemId: itemIdSchema,
  url: z.string().url(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  /**
   * Reindex jobs only (optional, so `v: 1` is unchanged): the generation the vector is for,
   * passed on in the stream entry (apps/indexer/README.md, "Reindex").
   */
  generation: z.number().int().positive().optional(),
  /** The model to embed with (built-in name or card path); unset: the collection's, else the worker's `MODEL`. */
  model: z.string().min(1).max(4096).optional(),
});
export type IngestItemPayload = z.infer<typeof ingestItemPayloadSchema>;

/** `s3://bucket/prefix/` or `file:///dir/` (under FILE_ROOT). */
export const sourceUrlSchema = z
  .string()
  .max(4096)
  .regex(/^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?|file:\/\/\/.*)$/, 'source must be s3://bucket/prefix/ or file:///directory/');

export const listSourcePayloadSchema = z.object({
  v: z.literal(1),
  batchId: z.string().min(1).max(64),
  collection: collectionNameSchema,
  source: sourceUrlSchema,
  /** 0-based; page n+1's job is enqueued by page n's, so pages are recorded strictly in order. */
  page: z.number().int().min(0),
  /** Where this page starts: the last key (S3) or relative path (directory) of the previous page. */
  cursor: z.string().optional(),
  /**
   * This page's listing, saved on the job before anything is enqueued, so a run retried
   * after a crash enqueues and counts exactly what the first run listed, even if the source
   * changed in between.
   */
  listed: z.object({ urls: z.array(z.string()), nextCursor: z.string().optional() }).optional(),
});
export type ListSourcePayload = z.infer<typeof listSourcePayloadSchema>;

export interface JobRetryPolicy {
  attempts: number;
  backoff: { type: 'exponential' | 'fixed'; delay: number };
}

export const jobCatalog = {
  ingestItem: {
    queue: 'ingest',
    name: 'ingest-item',
    payload: ingestItemPayloadSchema,
    /** Transient faults (timeouts, 5xx, resets) get this many tries in all. */
    attempts: 4,
    backoff: { type: 'exponential' as const, delay: 2_000 },
    /**
     * Completed jobs are removed at once: their outcome lives in the batch record. Failed
     * jobs are kept a day for inspection in the dashboard; job ids include the batch id, so
     * keeping them never blocks a re-submission.
     */
    removeOnComplete: true,
    removeOnFail: { age: 24 * 3600, count: 100_000 },
  },
  /**
   * One page of a bulk source: lists up to a page of objects, enqueues their ingest-item
   * jobs, grows the batch total, and enqueues the next page's job. Shares the ingest queue
   * so one worker deployment serves both; `lifo` puts the next page ahead of the items.
   */
  listSource: {
    queue: 'ingest',
    name: 'list-source',
    payload: listSourcePayloadSchema,
    attempts: 6,
    backoff: { type: 'exponential' as const, delay: 2_000 },
    removeOnComplete: true,
    removeOnFail: { age: 7 * 24 * 3600 },
  },
} as const;

export type JobName = keyof typeof jobCatalog;

/** What `Queue.addBulk` takes for one item; the job id makes re-adding a no-op. */
export function ingestItemJob(payload: IngestItemPayload, retry: JobRetryPolicy = jobCatalog.ingestItem) {
  const spec = jobCatalog.ingestItem;
  return {
    name: spec.name,
    data: payload,
    opts: {
      jobId: ingestJobId(payload.batchId, payload.collection, payload.itemId),
      attempts: retry.attempts,
      backoff: retry.backoff,
      removeOnComplete: spec.removeOnComplete,
      removeOnFail: spec.removeOnFail,
    },
  };
}

/** Page `page` of a source listing; one job id per page, so a page is never enqueued twice. */
export function listSourceJob(payload: ListSourcePayload, retry: JobRetryPolicy = jobCatalog.listSource) {
  const spec = jobCatalog.listSource;
  return {
    name: spec.name,
    data: payload,
    opts: {
      jobId: `l-${payload.batchId}-${payload.page}`,
      attempts: retry.attempts,
      backoff: retry.backoff,
      lifo: true,
      removeOnComplete: spec.removeOnComplete,
      removeOnFail: spec.removeOnFail,
    },
  };
}
