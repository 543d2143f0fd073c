import { z } from 'zod';
import { collectionNameSchema, DEFAULT_COLLECTION, itemIdSchema, URL_LENGTH_CEILING } from '@audio-index/shared';

// JSON cannot carry NaN or Infinity, but a number past float32's range becomes Infinity
// once stored; the service checks finiteness after the conversion (BAD_VECTOR).
const searchQuerySchema = z.union([
  z.object({ vector: z.array(z.number()).min(1).describe('query embedding; normalised to unit length') }).strict(),
  z
    .object({ url: z.string().max(URL_LENGTH_CEILING).url().describe("audio to fetch and embed (cut into segments with the collection's segmentation)") })
    .strict(),
  z.object({ id: itemIdSchema.describe('an indexed item; its stored segments are the query') }).strict(),
]);

/** Most segments listed per recording result. */
const MAX_LISTED_SEGMENTS = 100;

const groupBySchema = z
  .enum(['recording', 'segment'])
  .default('recording')
  .describe('recording: one result per recording with where it matched; segment: the best segment rows themselves');
const segmentsSchema = z
  .number()
  .int()
  .min(1, 'segments must be at least 1')
  .max(MAX_LISTED_SEGMENTS, `segments must be at most ${MAX_LISTED_SEGMENTS}`)
  .optional()
  .describe("list each recording's n best segments (groupBy recording only)");

/** `segments` lists segments of recording results; segment hits have none. */
const segmentsNeedRecordings = <T extends { groupBy: string; segments?: number | undefined }>(value: T) =>
  value.groupBy === 'recording' || value.segments === undefined;
const segmentsNeedRecordingsIssue = { message: 'segments applies to groupBy "recording" only', path: ['segments'] };

export const searchRequestSchema = z
  .object({
    collection: collectionNameSchema.default(DEFAULT_COLLECTION),
    k: z.number().int().min(1, 'k must be at least 1').default(10).describe('results returned: recordings, or segments with groupBy "segment"'),
    groupBy: groupBySchema,
    segments: segmentsSchema,
    query: searchQuerySchema,
  })
  .refine(segmentsNeedRecordings, segmentsNeedRecordingsIssue);

export type SearchRequest = z.infer<typeof searchRequestSchema>;

export const audioSearchQuerySchema = z
  .object({
    collection: collectionNameSchema.default(DEFAULT_COLLECTION),
    k: z.coerce.number().int().min(1, 'k must be at least 1').default(10),
    groupBy: groupBySchema,
    segments: z.coerce.number().pipe(segmentsSchema.unwrap()).optional(),
  })
  .refine(segmentsNeedRecordings, segmentsNeedRecordingsIssue);

export type AudioSearchQuery = z.infer<typeof audioSearchQuerySchema>;

const timeSchema = z.number().nonnegative().describe('seconds from the start of the recording');
const endSchema = z.number().nonnegative().nullable().describe('seconds; null for a row stored without times (a whole recording)');

const recordingResultSchema = z.object({
  id: z.string(),
  url: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  score: z.number().describe("cosine similarity: the best segment's for a one-segment query, else the mean over query segments at the best time offset"),
  match: z.object({ start: timeSchema, end: endSchema }).describe('where in the recording the query matched'),
  duration: z.number().nonnegative().nullable().describe("the recording's length as indexed (its last segment's end); null without times"),
  segments: z
    .array(z.object({ start: timeSchema, end: endSchema, score: z.number() }))
    .optional()
    .describe("with `segments: n`: the recording's n best segments, best first"),
});

const segmentHitSchema = z.object({
  id: z.string(),
  url: z.string().optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
  score: z.number().describe('cosine similarity'),
  start: timeSchema,
  end: endSchema,
});

export const searchAnswerSchema = z.object({
  collection: z.string(),
  snapshot: z.object({
    version: z.number().int(),
    count: z.number().int().describe('visible rows (segments)'),
    recordings: z.number().int().describe('visible recordings'),
  }),
  query: z.object({ segments: z.number().int().describe('segments the query was cut into') }),
  // Recording results carry `match`, segment hits `start`: the members are told apart by them.
  results: z.array(z.union([recordingResultSchema, segmentHitSchema])),
});
