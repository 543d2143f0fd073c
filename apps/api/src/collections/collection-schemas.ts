import { z } from 'zod';
import { collectionNameSchema, itemIdSchema } from '@audio-index/shared';

export const collectionParamsSchema = z.object({ collection: collectionNameSchema });

export const collectionSummarySchema = z.object({
  name: z.string(),
  model: z.object({ id: z.string(), dim: z.number().int(), sampleRate: z.number().int().optional() }).nullable(),
  dim: z.number().int().nullable(),
  count: z.number().int().describe('visible vectors (rows) in the served snapshot: the same as segments'),
  recordings: z.number().int().describe('visible recordings (items) in the served snapshot'),
  segments: z.number().int().describe('visible segments (rows); a recording is one or more'),
  segmentation: z
    .object({ segmentSeconds: z.number(), hopSeconds: z.number() })
    .nullable()
    .describe('how the served snapshot cut recordings into segments; null for snapshots older than segments'),
  shards: z.number().int(),
  snapshot: z.object({ version: z.number().int(), createdAt: z.string(), loadedAt: z.string() }).nullable(),
  pending: z.number().int().describe('stream entries the indexer has not applied yet'),
});
export type CollectionSummary = z.infer<typeof collectionSummarySchema>;

export const snapshotVersionSchema = z.object({
  version: z.number().int(),
  count: z.number().int().describe('visible rows (segments)'),
  recordings: z.number().int().describe('visible recordings'),
  shards: z.number().int(),
  createdAt: z.string(),
  served: z.boolean().describe('the version this API answers from'),
});

const vectorItemSchema = z
  .object({
    id: itemIdSchema,
    vector: z.array(z.number()).min(1),
    url: z.string().max(4096).optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
    start: z.number().nonnegative().optional().describe('seconds: this row embeds [start, end) of recording `id`; rows sharing an id are its segments'),
    end: z.number().nonnegative().optional(),
  })
  .refine((item) => (item.start === undefined) === (item.end === undefined), { message: 'start and end come together', path: ['end'] })
  .refine((item) => item.start === undefined || item.end! > item.start, { message: 'end must be after start', path: ['end'] });

export const vectorUploadSchema = z.object({
  /** The model the vectors come from; must match the collection's. */
  model: z.string().min(1).optional(),
  items: z.array(vectorItemSchema).min(1, 'items must hold at least one item'),
});
export type VectorUpload = z.infer<typeof vectorUploadSchema>;

export const reindexRequestSchema = z.object({
  mode: z.enum(['all', 'missing']).describe('all: every item of the served snapshot; missing: those without a vector of the target model'),
  model: z.string().min(1).max(4096).optional().describe("built-in model name or card path the workers load; default: the collection's model"),
});
export type ReindexRequest = z.infer<typeof reindexRequestSchema>;
