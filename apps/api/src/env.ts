import {
  backpressureEnvShape,
  backpressureOptions,
  batchRetentionEnvShape,
  commonEnvShape,
  commonOptions,
  envCommaList,
  inputLimitsEnvShape,
  inputLimitsFromEnv,
  modelEnvShape,
  modelOptions,
  parseEnv,
  segmentEnvShape,
  segmentationFromEnv,
  type BackpressureLimits,
  type CommonOptions,
  type InputLimits,
  type ModelOptions,
  type Segmentation,
} from '@audio-index/shared';
import os from 'node:os';
import path from 'node:path';
import { fetchGuardEnvShape, fetchLimitsFromEnv, type FetchLimits } from '@audio-index/audio-input';
import { z } from 'zod';

export const apiEnvSchema = z
  .object({
    ...commonEnvShape,
    ...batchRetentionEnvShape,
    ...modelEnvShape,
    ...backpressureEnvShape,
    ...segmentEnvShape,
    PORT: z.coerce.number().int().min(0).max(65535).default(8080),
    HOST: z.string().default('127.0.0.1'),
    /** Comma-separated bearer keys; without any, the API listens on loopback only. */
    API_KEYS: envCommaList(),
    /** Most items one ingest request may carry; larger archives go in several requests or as a `source`. */
    MAX_ITEMS_PER_REQUEST: z.coerce.number().int().min(1).max(100_000).default(10_000),
    /** Largest JSON request body, in bytes. */
    BODY_LIMIT_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(16 * 1024 * 1024),
    MAX_K: z.coerce.number().int().min(1).max(10_000).default(1000),
    /** Fallback poll for new snapshots when a pub/sub notice is missed (ms). */
    SNAPSHOT_POLL_INTERVAL_MS: z.coerce.number().int().min(100).default(5000),
    /** Local copies of shard files, loaded by Faiss from disk. */
    SHARD_CACHE_DIR: z.string().default(path.resolve('data/shard-cache')),
    // URL queries and item audio fetch in the API process with the same guards as the workers.
    ...fetchGuardEnvShape,
    ...inputLimitsEnvShape,
    QUERY_FETCH_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1)
      .default(50 * 1024 * 1024),
    QUERY_FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
    QUERY_MAX_AUDIO_SECONDS: z.coerce.number().positive().default(600),
    /** Largest audio upload to POST /v1/search/audio (raw body or multipart file). */
    UPLOAD_MAX_BYTES: z.coerce
      .number()
      .int()
      .min(1024)
      .default(50 * 1024 * 1024),
    /** Vectors one POST /v1/collections/:c/vectors request may carry. */
    MAX_VECTORS_PER_REQUEST: z.coerce.number().int().min(1).max(100_000).default(10_000),
    /** Search threads; each query's rows are split between them. */
    SEARCH_THREADS: z.coerce.number().int().min(1).max(256).default(os.availableParallelism()),
    /**
     * Faiss's database block for batched (sgemm) search: 32768 instead of Faiss's 1024 made
     * 64-query batches ~2.4x faster on these 2-core machines (faiss-node, 100k x 768, k 10: 380 ms -> 160 ms).
     */
    SEARCH_BLAS_DATABASE_BLOCK: z.coerce.number().int().min(256).default(32_768),
    /**
     * From how many queries in one call Faiss scans with sgemm (Faiss's default: 20). Batched
     * concurrent queries (query-coalescer.ts) are often 2-16: below the threshold each query
     * reads every row on its own, so 8 queries cost 8 scans; with sgemm they cost about one.
     */
    SEARCH_BLAS_THRESHOLD: z.coerce.number().int().min(1).max(1024).default(2),
    /** Requests per minute per API key (per client address without keys). */
    RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(1200),
    /**
     * Bound on each command a request sends Redis (the API's command connection keeps no
     * offline queue, so with Redis down requests fail at once; this covers a Redis that
     * accepts connections but does not answer): past it the request answers 503 NOT_READY.
     */
    REDIS_COMMAND_TIMEOUT_MS: z.coerce.number().int().min(50).default(5000),
    /** Audio queries (URL or upload) fetched, decoded and embedded at once; more wait, then 503 BUSY. */
    QUERY_EMBED_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(Math.max(2, os.availableParallelism())),
    /** How long an audio query waits for an embedding slot before 503 BUSY (ms). */
    QUERY_EMBED_WAIT_MS: z.coerce.number().int().min(0).default(2000),
    /** Time to receive a whole request, headers and body (uploads included); 408 past it (Fastify `requestTimeout`). */
    REQUEST_TIMEOUT_MS: z.coerce.number().int().min(1000).default(120_000),
    /** A socket with no traffic either way for this long is closed (Fastify `connectionTimeout`). */
    CONNECTION_TIMEOUT_MS: z.coerce.number().int().min(1000).default(60_000),
    /** Idle keep-alive sockets are closed after this (above common load balancers' 60 s idle timeout). */
    KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).default(72_000),
  })
  .superRefine((config, context) => {
    const loopback = ['127.0.0.1', 'localhost', '::1'].includes(config.HOST);
    if (!loopback && config.API_KEYS.length === 0) {
      context.addIssue({ code: 'custom', path: ['API_KEYS'], message: `required when HOST (${config.HOST}) is not loopback` });
    }
  });

export type ApiEnv = z.infer<typeof apiEnvSchema>;

/** Redirects a URL query or item-audio fetch may follow. */
const QUERY_FETCH_MAX_REDIRECTS = 5;
/** A URL query's connect (and headers) deadline per hop: 10 s, or the whole fetch's when that is shorter. */
const QUERY_FETCH_CONNECT_TIMEOUT_MS = 10_000;
/**
 * Faiss's query block for batched search: 0 keeps Faiss's choice (a batch is at most the
 * coalescer's few dozen queries, so only the database block was worth tuning).
 */
const SEARCH_BLAS_QUERY_BLOCK = 0;

/** The API's configuration in the groups its parts take (start-api.ts passes each its own). */
export interface ApiConfig extends CommonOptions {
  /** The request connection's bound on each command (ms): past it a request answers 503 NOT_READY. */
  redisCommandTimeoutMs: number;
  /** The model URL and audio queries embed with, and the default of new collections. */
  model: ModelOptions;
  /** Segmentation of collections created without a request naming one. */
  segmentation: Segmentation;
  batches: { retentionSeconds: number };
  backpressure: BackpressureLimits;
  /** Caps on what one item may carry (ids, URLs, metadata, vector dimension). */
  inputLimits: InputLimits;
  server: {
    port: number;
    host: string;
    apiKeys: readonly string[];
    bodyLimitBytes: number;
    rateLimitPerMinute: number;
    /** Fastify's `requestTimeout`, `connectionTimeout`, `keepAliveTimeout` (ms). */
    timeouts: { requestMs: number; connectionMs: number; keepAliveMs: number };
  };
  ingest: { maxItemsPerRequest: number; maxVectorsPerRequest: number };
  search: {
    maxK: number;
    threads: number;
    blas: { databaseBlock: number; queryBlock: number; threshold: number };
    /** Audio queries embedded at once, and how long one waits for a slot (ms). */
    embedSlots: { concurrency: number; waitMs: number };
    uploadMaxBytes: number;
    /** Longest audio a URL or upload query may be (s), and its decode deadline (ms). */
    decode: { maxSeconds: number; timeoutMs: number };
  };
  snapshots: { cacheDirectory: string; pollIntervalMs: number };
  /** URL queries and item audio: the workers' guard with the API's own budget. */
  queryFetch: FetchLimits;
}

function apiConfigFromEnv(env: ApiEnv): ApiConfig {
  return {
    ...commonOptions(env),
    redisCommandTimeoutMs: env.REDIS_COMMAND_TIMEOUT_MS,
    model: modelOptions(env),
    segmentation: segmentationFromEnv(env),
    batches: { retentionSeconds: env.BATCH_RETENTION_SECONDS },
    backpressure: backpressureOptions(env),
    inputLimits: inputLimitsFromEnv(env),
    server: {
      port: env.PORT,
      host: env.HOST,
      apiKeys: env.API_KEYS,
      bodyLimitBytes: env.BODY_LIMIT_BYTES,
      rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
      timeouts: { requestMs: env.REQUEST_TIMEOUT_MS, connectionMs: env.CONNECTION_TIMEOUT_MS, keepAliveMs: env.KEEP_ALIVE_TIMEOUT_MS },
    },
    ingest: { maxItemsPerRequest: env.MAX_ITEMS_PER_REQUEST, maxVectorsPerRequest: env.MAX_VECTORS_PER_REQUEST },
    search: {
      maxK: env.MAX_K,
      threads: env.SEARCH_THREADS,
      blas: { databaseBlock: env.SEARCH_BLAS_DATABASE_BLOCK, queryBlock: SEARCH_BLAS_QUERY_BLOCK, threshold: env.SEARCH_BLAS_THRESHOLD },
      embedSlots: { concurrency: env.QUERY_EMBED_CONCURRENCY, waitMs: env.QUERY_EMBED_WAIT_MS },
      uploadMaxBytes: env.UPLOAD_MAX_BYTES,
      decode: { maxSeconds: env.QUERY_MAX_AUDIO_SECONDS, timeoutMs: env.QUERY_FETCH_TIMEOUT_MS },
    },
    snapshots: { cacheDirectory: env.SHARD_CACHE_DIR, pollIntervalMs: env.SNAPSHOT_POLL_INTERVAL_MS },
    queryFetch: fetchLimitsFromEnv(env, {
      maxBytes: env.QUERY_FETCH_MAX_BYTES,
      connectTimeoutMs: Math.min(QUERY_FETCH_CONNECT_TIMEOUT_MS, env.QUERY_FETCH_TIMEOUT_MS),
      totalTimeoutMs: env.QUERY_FETCH_TIMEOUT_MS,
      maxRedirects: QUERY_FETCH_MAX_REDIRECTS,
    }),
  };
}

/** Parses and shapes the API's variables once at boot: CONFIG_INVALID naming each bad one. */
export function loadApiConfig(env: NodeJS.ProcessEnv = process.env): ApiConfig {
  return apiConfigFromEnv(parseEnv(apiEnvSchema, env));
}
