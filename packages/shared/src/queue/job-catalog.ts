import { z } from 'zod';
import { collectionNameSchema, itemIdSchema } from '../names.ts';

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
});
export type IngestItemPayload = z.infer<typeof ingestItemPayloadSchema>;

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
} as const;

export type JobName = keyof typeof jobCatalog;
