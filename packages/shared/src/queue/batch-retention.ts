import { z } from 'zod';

/** A week: long enough for any client to read a finished batch's outcome (issue 11 item 14). */
export const DEFAULT_BATCH_RETENTION_SECONDS = 7 * 24 * 3600;

/**
 * How long a batch's record, failure list and batch -> collection lookup outlive the batch
 * once it is done (docs/redis-keys.md); GET /v1/batches/:id answers 404 afterwards. Read by
 * every process that can finish a batch: the worker (failures, listings), the indexer
 * (served credits) and the API (vector uploads, accepts).
 */
export const batchRetentionEnvShape = {
  BATCH_RETENTION_SECONDS: z.coerce
    .number()
    .int()
    .min(1)
    .max(10 * 365 * 24 * 3600)
    .default(DEFAULT_BATCH_RETENTION_SECONDS),
};
