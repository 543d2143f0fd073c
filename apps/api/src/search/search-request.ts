import { z } from 'zod';
import { collectionNameSchema, DEFAULT_COLLECTION } from '@audio-index/shared';

export const searchRequestSchema = z.object({
  collection: collectionNameSchema.default(DEFAULT_COLLECTION),
  k: z.number().int().min(1, 'k must be at least 1').default(10),
  query: z.union([
    z.object({ vector: z.array(z.number()).min(1) }).strict(),
    z.object({ url: z.string().url() }).strict(),
  ]),
});

export type SearchRequest = z.infer<typeof searchRequestSchema>;
