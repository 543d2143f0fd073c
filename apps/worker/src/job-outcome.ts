import type { Job } from 'bullmq';
import { collectionNameSchema, errorCodeOf, isAppError, isPermanentCode } from '@audio-index/shared';

export interface JobFailure {
  code: string;
  message: string;
  /** Attempts made so far, this one included. */
  attempts: number;
}

export function failureOf(error: unknown, job: Job): JobFailure {
  const code = errorCodeOf(error);
  // Only our own codes carry a message meant for the caller; anything else (an errno, a
  // driver's error) may name local paths or hosts, so the batch gets a generic one.
  const ours = code !== 'INTERNAL' || isAppError(error);
  return {
    code,
    message: ours && error instanceof Error ? error.message : 'internal error (see the worker log)',
    attempts: job.attemptsMade + 1,
  };
}

/** A permanent code ends the job now; a transient one only once the attempts are used up. */
export function isFinalAttempt(failure: JobFailure, job: Job): boolean {
  return isPermanentCode(failure.code) || failure.attempts >= (job.opts.attempts ?? 1);
}

export interface PayloadBatch {
  collection: string;
  batchId: string;
  /** For the failure entry: what the payload says, or '' when it says nothing usable. */
  itemId: string;
  url: string;
  source: string;
}

/**
 * Where a payload that failed to parse belongs, if it still names a batch: only a valid
 * collection name and batch id are trusted, because they become Redis keys.
 */
export function batchOfPayload(data: unknown): PayloadBatch | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const fields = data as Record<string, unknown>;
  const collection = collectionNameSchema.safeParse(fields.collection);
  const batchId = typeof fields.batchId === 'string' && /^[\w-]{1,64}$/.test(fields.batchId) ? fields.batchId : undefined;
  if (!collection.success || !batchId) return undefined;
  const text = (value: unknown) => (typeof value === 'string' ? value.slice(0, 4096) : '');
  return { collection: collection.data, batchId, itemId: text(fields.itemId), url: text(fields.url), source: text(fields.source) };
}
