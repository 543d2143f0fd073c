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

/**
 * A generation being built by a reindex: its shards are written as vectors arrive, but
 * searches keep using `shards` until it is complete and a version swaps it in.
 */
export const nextGenerationSchema = z.object({
  reindexId: z.string().min(1),
  generation: z.number().int().positive(),
  mode: z.enum(['all', 'missing']),
  /** What workers load the model by (built-in name or card path); unset: the collection's model. */
  modelRef: z.string().optional(),
  /** Fixed by the reindex request when the API resolved the card, else by the first vector. */
  model: modelInfoSchema.optional(),
  shards: z.array(shardEntrySchema),
  /**
   * Items upserted in the served generation while this one builds, with the URL of that
   * upsert: only a vector re-embedded from that URL may stand for them here.
   */
  changedUrls: z.record(z.string(), z.string()).default({}),
});
export type NextGeneration = z.infer<typeof nextGenerationSchema>;

/**
 * How a collection cuts recordings into rows (docs/segments.md): segments of
 * `segmentSeconds`, one every `hopSeconds`. Fixed for a collection's lifetime.
 */
export const segmentationSchema = z
  .object({
    segmentSeconds: z.number().positive().max(600),
    hopSeconds: z.number().positive().max(600),
  })
  .refine((value) => value.hopSeconds <= value.segmentSeconds, { message: 'hopSeconds must not exceed segmentSeconds' });
export type Segmentation = z.infer<typeof segmentationSchema>;

export const manifestSchema = z.object({
  formatVersion: z.literal(MANIFEST_FORMAT_VERSION),
  collection: collectionNameSchema,
  version: z.number().int().positive(),
  createdAt: z.string(),
  model: modelInfoSchema,
  metric: z.literal('inner_product'),
  /** Visible vectors: rows (segments) minus tombstones over all shards. */
  count: z.number().int().nonnegative(),
  /** Visible recordings (items); each is one or more of the `count` rows. Unset in manifests older than segments. */
  recordings: z.number().int().nonnegative().optional(),
  /** How recordings were cut into rows; unset in manifests older than segments (one row per recording). */
  segmentation: segmentationSchema.optional(),
  shards: z.array(shardEntrySchema),
  /** Last stream entry applied; a restarted indexer skips entries at or below it. */
  streamOffset: streamOffsetSchema,
  generation: z.number().int().positive(),
  /** What workers load `model` by, when a reindex chose it (built-in name or card path). */
  modelRef: z.string().optional(),
  /**
   * The model of the generation this one replaced: a late vector of it (embedded before the
   * workers saw the change) is embedded again with `model`, not refused.
   */
  previousModel: modelInfoSchema.optional(),
  /** A reindex in progress: the generation that replaces this one once complete. */
  next: nextGenerationSchema.optional(),
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
