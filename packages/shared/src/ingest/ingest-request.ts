/**
 * The ingest request, shared by the HTTP API and queue-fed producers so both accept exactly
 * the same input.
 */
import { z } from 'zod';
import { collectionNameSchema, DEFAULT_COLLECTION, itemIdSchema } from '../names.ts';
import { sourceUrlSchema } from '../queue/job-catalog.ts';
import { segmentationSchema } from '../snapshot/manifest.ts';

/**
 * How a new collection cuts recordings into segments (docs/segments.md); fixed by the first
 * write. Naming other settings than an existing collection has is refused (SEGMENTATION_MISMATCH).
 */
const requestedSegmentation = segmentationSchema.optional();

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
  segmentation: requestedSegmentation,
});

export type IngestRequest = z.infer<typeof ingestRequestSchema>;
/** What callers pass: `collection` may be left out (it defaults). */
export type IngestRequestInput = z.input<typeof ingestRequestSchema>;

/** A bulk source: every object under an S3 prefix, or every file under a directory. */
export const sourceIngestRequestSchema = z.object({
  collection: collectionNameSchema.default(DEFAULT_COLLECTION),
  source: sourceUrlSchema,
  segmentation: requestedSegmentation,
});

export type SourceIngestRequest = z.infer<typeof sourceIngestRequestSchema>;
export type SourceIngestRequestInput = z.input<typeof sourceIngestRequestSchema>;

/** A body with `source` asks for a bulk listing; anything else is an item list. */
export function isSourceRequest(body: unknown): boolean {
  return typeof body === 'object' && body !== null && 'source' in body;
}
