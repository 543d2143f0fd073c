import { createHash } from 'node:crypto';
import { z } from 'zod';

export const DEFAULT_COLLECTION = 'default';

/** Collection names end up in Redis keys and object-store paths: keep them boring. */
export const collectionNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,62}$/, 'collection must be 1-63 chars of a-z, 0-9, _ or -, starting with a letter or digit');

/**
 * Caller-chosen item ids are opaque strings; control characters are refused because ids
 * are written one per line into `.ids.jsonl` and shown in logs.
 */
export const itemIdSchema = z
  .string()
  .min(1)
  .max(512)
  .regex(/^[^\p{Cc}]+$/u, 'id must not contain control characters');

export function sha256Hex(input: string | Uint8Array): string {
  return createHash('sha256').update(input).digest('hex');
}

/** The stable id of an item the caller gave no id for: the same URL always maps to the same id. */
export function itemIdFromUrl(url: string): string {
  return `u-${sha256Hex(url).slice(0, 32)}`;
}

/**
 * BullMQ job ids must not contain ':' nor be integers. Hashing collection and item id gives a
 * fixed-length id; the batch id is part of it so that re-submitting an item (e.g. after it
 * failed) in a new batch is a new job rather than a silent no-op.
 */
export function ingestJobId(batchId: string, collection: string, itemId: string): string {
  return `i-${batchId}-${sha256Hex(`${collection}\u0000${itemId}`).slice(0, 24)}`;
}
