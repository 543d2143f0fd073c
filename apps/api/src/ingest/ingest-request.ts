import { z } from 'zod';
import { collectionNameSchema, DEFAULT_COLLECTION, itemIdSchema, sourceUrlSchema } from '@audio-index/shared';

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

/** A bulk source: every object under an S3 prefix, or every file under a directory. */
export const sourceIngestRequestSchema = z.object({
  collection: collectionNameSchema.default(DEFAULT_COLLECTION),
  source: sourceUrlSchema,
});

export type SourceIngestRequest = z.infer<typeof sourceIngestRequestSchema>;

/** A body with `source` asks for a bulk listing; anything else is an item list. */
export function isSourceRequest(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'source' in body;
}
