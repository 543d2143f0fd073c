import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AppError } from './errors.ts';

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

/** What made a batch, shown by its id's first letter: `b` an ingest request, `v` a vector upload, `r` a reindex. */
const BATCH_ID_PREFIX = { ingest: 'b', vectors: 'v', reindex: 'r' } as const;

export type BatchKind = keyof typeof BATCH_ID_PREFIX;

/**
 * A new batch id (`GET /v1/batches/:id` takes every kind): the prefix, the time in base-36
 * milliseconds, so ids sort roughly by age, and 48 random bits, so ids made in the same
 * millisecond by any process do not collide.
 */
export function newBatchId(kind: BatchKind): string {
  return `${BATCH_ID_PREFIX[kind]}${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
}

/** Where each id stands in a request's rows, in the order ids first appear. */
export function rowsById(ids: Iterable<string>): Map<string, number[]> {
  const rows = new Map<string, number[]>();
  let index = 0;
  for (const id of ids) {
    const indexes = rows.get(id);
    if (indexes) indexes.push(index);
    else rows.set(id, [index]);
    index += 1;
  }
  return rows;
}

/** DUPLICATE_ITEM_ID for the rows at `indexes`, which share `id`; `hint` says how they could have been valid. */
export function duplicateItemId(id: string, indexes: readonly number[], hint?: string): AppError {
  const message = `items ${indexes.join(', ')} have the same id ${JSON.stringify(id)}${hint ? `; ${hint}` : ''}`;
  return new AppError('DUPLICATE_ITEM_ID', message, { details: { id, indexes: [...indexes] } });
}
