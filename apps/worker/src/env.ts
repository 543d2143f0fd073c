import { batchRetentionEnvShape, commonEnvShape, envBoolean, modelEnvShape, parseEnv, segmentEnvShape } from '@audio-index/shared';
import { fetchAllowedNetworksEnv, s3AllowedBucketsEnv } from '@audio-index/audio-input';
import os from 'node:os';
import { z } from 'zod';

export const workerEnvSchema = z.object({
  ...commonEnvShape,
  ...batchRetentionEnvShape,
  ...modelEnvShape,
  ...segmentEnvShape,
  /**
   * Inference threads (one ONNX session each): one per core. With 1 (the old default) a
   * 2-core worker left a core to ffmpeg alone and long recordings embedded at one core's pace
   * (bench/ingest/RESULTS.md).
   */
  EMBED_THREADS: z.coerce.number().int().min(1).max(64).default(os.availableParallelism()),
  /** Port of the worker's Prometheus endpoint (`GET /metrics`: per-stage ingest timing); unset: none. */
  WORKER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  WORKER_METRICS_HOST: z.string().default('0.0.0.0'),
  /** Jobs in flight per worker process (fetching and decoding overlap with inference). */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(8),
  /**
   * BullMQ job lock; renewed every half of it while the job runs, so it bounds how long a
   * crashed worker's job waits before another worker takes it, not how long a job may run.
   */
  WORKER_LOCK_DURATION_MS: z.coerce.number().int().min(500).default(30_000),
  /** On SIGTERM/SIGINT, how long active jobs may run on before they are released for retry. */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(25_000),
  /**
   * Most windows in one model call, across the clips of concurrent jobs. The lever for a
   * GPU (try 32-64 with cuda); on CPU larger batches measured no faster than 1 with the
   * default model, so the default stays small.
   */
  EMBED_BATCH_SIZE: z.coerce.number().int().min(1).max(1024).default(4),
  /** How long an idle inference thread waits for more clips to fill a batch (0: only what is already queued). */
  EMBED_BATCH_MAX_WAIT_MS: z.coerce.number().int().min(0).max(10_000).default(0),
  /** Objects listed per listing job of a bulk source (S3 returns at most 1000). */
  LISTING_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(1000),
  /** Listing a source pauses while more item jobs than this wait in the queue. */
  LISTING_MAX_WAITING_ITEMS: z.coerce.number().int().min(1).default(50_000),
  ALLOW_PRIVATE_NETWORKS: envBoolean.default(false),
  /** Comma-separated CIDRs fetchable although private, e.g. an internal archive's subnet. */
  FETCH_ALLOWED_NETWORKS: fetchAllowedNetworksEnv,
  /** Comma-separated buckets `s3://` items and sources may name; unset: none (SOURCE_NOT_ALLOWED). */
  S3_ALLOWED_BUCKETS: s3AllowedBucketsEnv,
  FILE_ROOT: z.string().optional(),
  FETCH_MAX_BYTES: z.coerce.number().int().min(1).default(200 * 1024 * 1024),
  FETCH_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  FETCH_TOTAL_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),
  FETCH_MAX_REDIRECTS: z.coerce.number().int().min(0).max(20).default(5),
  /** Longest audio accepted, in seconds (longer fails with TOO_LONG). */
  MAX_AUDIO_SECONDS: z.coerce.number().positive().default(3600),
  DECODE_TIMEOUT_MS: z.coerce.number().int().min(100).default(300_000),
});

export type WorkerConfig = z.infer<typeof workerEnvSchema>;

export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return parseEnv(workerEnvSchema, env);
}
