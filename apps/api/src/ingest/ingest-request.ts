import { z } from 'zod';
import { collectionNameSchema, DEFAULT_COLLECTION, itemIdSchema } from '@audio-index/shared';

export const ingestItemSchema = z.object({
  url: z
    .string()
    .max(4096)
    .url('url must be an absolute URL')
    .refine((value) => /^(https?|s3|file):/i.test(value), 'url scheme must be http, https, s3 or file'),
  id: itemIdSchema.optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export const ingestRequestSchema = z.object({
  collection: collectionNameSchema.default(DEFAULT_COLLECTION),
  items: z.array(ingestItemSchema).min(1, 'items must hold at least one item'),
});

export type IngestRequest = z.infer<typeof ingestRequestSchema>;
