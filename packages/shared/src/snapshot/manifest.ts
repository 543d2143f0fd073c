import { z } from 'zod';
import { collectionNameSchema } from '../names.ts';

export const MANIFEST_FORMAT_VERSION = 1;

export const streamOffsetSchema = z.string().regex(/^\d+-\d+$/, 'stream offset must be a Redis stream id');

export const shardEntrySchema = z.object({
  id: z.string().regex(/^[A-Za-z0-9_-]+$/),
  /** Rows in the shard file, tombstoned ones included. */
  count: z.number().int().nonnegative(),
  bytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  /** Row numbers no longer visible (deleted, or replaced by a newer upsert). */
  tombstones: z.array(z.number().int().nonnegative()),
});
export type ShardEntry = z.infer<typeof shardEntrySchema>;

export const modelInfoSchema = z.object({
  id: z.string().min(1),
  dim: z.number().int().positive(),
  sampleRate: z.number().int().positive().optional(),
});
export type ModelInfo = z.infer<typeof modelInfoSchema>;

export const manifestSchema = z.object({
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  collection: collectionNameSchema,
  version: z.number().int().positive(),
  createdAt: z.string(),
  model: modelInfoSchema,
  metric: z.literal('inner_product'),
  /** Visible vectors: rows minus tombstones over all shards. */
  count: z.number().int().nonnegative(),
  shards: z.array(shardEntrySchema),
  /** Last stream entry applied; a restarted indexer skips entries at or below it. */
  streamOffset: streamOffsetSchema,
  generation: z.number().int().positive(),
  /** Fencing token of the leader that wrote it; for audits (the commit in Redis is what fences). */
  leaderFence: z.number().int().nonnegative().optional(),
});
export type Manifest = z.infer<typeof manifestSchema>;

export const latestPointerSchema = z.object({ version: z.number().int().positive() });

/** Redis stream ids are "ms-seq"; compares them numerically, as strings would misorder. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = 0n, aSeq = 0n] = a.split('-').map(BigInt);
  const [bMs = 0n, bSeq = 0n] = b.split('-').map(BigInt);
  if (aMs !== bMs) return aMs < bMs ? -1 : 1;
  if (aSeq !== bSeq) return aSeq < bSeq ? -1 : 1;
  return 0;
}
