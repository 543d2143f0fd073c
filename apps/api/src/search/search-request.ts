import { z } from 'zod';
import { collectionNameSchema, DEFAULT_COLLECTION, itemIdSchema } from '@audio-index/shared';

// JSON cannot carry NaN or Infinity, but a number past float32's range becomes Infinity
// once stored; the service checks finiteness after the conversion (BAD_VECTOR).
export const searchQuerySchema = z.union([
  z.object({ vector: z.array(z.number()).min(1).describe('query embedding; normalised to unit length') }).strict(),
  z.object({ url: z.string().url().describe('audio to fetch and embed') }).strict(),
  z.object({ id: itemIdSchema.describe('an indexed item; its stored vector is the query') }).strict(),
]);

export const searchRequestSchema = z.object({
  collection: collectionNameSchema.default(DEFAULT_COLLECTION),
  k: z.number().int().min(1, 'k must be at least 1').default(10),
  query: searchQuerySchema,
});

export type SearchRequest = z.infer<typeof searchRequestSchema>;

export const audioSearchQuerySchema = z.object({
  collection: collectionNameSchema.default(DEFAULT_COLLECTION),
  k: z.coerce.number().int().min(1, 'k must be at least 1').default(10),
});

export const searchHitSchema = z.object({
  id: z.string(),
  url: z.string().optional(),
  score: z.number().describe('cosine similarity'),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export const searchAnswerSchema = z.object({
  collection: z.string(),
  snapshot: z.object({ version: z.number().int(), count: z.number().int() }),
  results: z.array(searchHitSchema),
});
