import {
  batchRetentionEnvShape,
  commonEnvShape,
  commonOptions,
  modelEnvShape,
  modelOptions,
  parseEnv,
  segmentEnvShape,
  segmentationFromEnv,
  type CommonOptions,
  type ModelOptions,
  type Segmentation,
} from '@audio-index/shared';
import { fetchGuardEnvShape, fetchLimitsFromEnv, type FetchLimits } from '@audio-index/audio-input';
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
   * GPU (try 32-64 with cuda). On CPU the default model runs a window alone fastest: 2 threads
   * embedded 5 min of audio in 695-940 ms at 1 and 992-1570 ms at 4 (bench/ingest/embed-batching.ts).
   */
  EMBED_BATCH_SIZE: z.coerce.number().int().min(1).max(1024).default(1),
  /** How long an idle inference thread waits for more clips to fill a batch (0: only what is already queued). */
  EMBED_BATCH_MAX_WAIT_MS: z.coerce.number().int().min(0).max(10_000).default(0),
  /** Objects listed per listing job of a bulk source (S3 returns at most 1000). */
  LISTING_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(1000),
  /** Listing a source pauses while more item jobs than this wait in the queue. */
  LISTING_MAX_WAITING_ITEMS: z.coerce.number().int().min(1).default(50_000),
  ...fetchGuardEnvShape,
  FETCH_MAX_BYTES: z.coerce
    .number()
    .int()
    .min(1)
    .default(200 * 1024 * 1024),
  FETCH_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  FETCH_TOTAL_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),
  FETCH_MAX_REDIRECTS: z.coerce.number().int().min(0).max(20).default(5),
  /** Longest audio accepted, in seconds (longer fails with TOO_LONG). */
  MAX_AUDIO_SECONDS: z.coerce.number().positive().default(3600),
  DECODE_TIMEOUT_MS: z.coerce.number().int().min(100).default(300_000),
});

export type WorkerEnv = z.infer<typeof workerEnvSchema>;

/** The worker's configuration in the groups its parts take (start-worker.ts passes each its own). */
export interface WorkerConfig extends CommonOptions {
  /** The model new collections embed with (others load on first use, with the same options). */
  model: ModelOptions;
  /** How inference threads batch windows across concurrent jobs. */
  batching: { batchSize: number; batchMaxWaitMs: number };
  /** Segmentation of collections written before settings existed. */
  segmentation: Segmentation;
  batches: { retentionSeconds: number };
  /** BullMQ worker: jobs in flight, and the job lock (ms) that also paces stall checks. */
  jobs: { concurrency: number; lockDurationMs: number };
  fetch: FetchLimits;
  /** Longest audio accepted (s) and the decode deadline (ms). */
  decode: { maxSeconds: number; timeoutMs: number };
  listing: { pageSize: number; maxWaitingItems: number };
  /** `GET /metrics`; port unset: none. */
  metrics: { port: number | undefined; host: string };
}

function workerConfigFromEnv(env: WorkerEnv): WorkerConfig {
  return {
    ...commonOptions(env),
    model: modelOptions(env),
    batching: { batchSize: env.EMBED_BATCH_SIZE, batchMaxWaitMs: env.EMBED_BATCH_MAX_WAIT_MS },
    segmentation: segmentationFromEnv(env),
    batches: { retentionSeconds: env.BATCH_RETENTION_SECONDS },
    jobs: { concurrency: env.WORKER_CONCURRENCY, lockDurationMs: env.WORKER_LOCK_DURATION_MS },
    fetch: fetchLimitsFromEnv(env, {
      maxBytes: env.FETCH_MAX_BYTES,
      connectTimeoutMs: env.FETCH_CONNECT_TIMEOUT_MS,
      totalTimeoutMs: env.FETCH_TOTAL_TIMEOUT_MS,
      maxRedirects: env.FETCH_MAX_REDIRECTS,
    }),
    decode: { maxSeconds: env.MAX_AUDIO_SECONDS, timeoutMs: env.DECODE_TIMEOUT_MS },
    listing: { pageSize: env.LISTING_PAGE_SIZE, maxWaitingItems: env.LISTING_MAX_WAITING_ITEMS },
    metrics: { port: env.WORKER_METRICS_PORT, host: env.WORKER_METRICS_HOST },
  };
}

/** Parses and shapes the worker's variables once at boot: CONFIG_INVALID naming each bad one. */
export function loadWorkerConfig(env: NodeJS.ProcessEnv = process.env): WorkerConfig {
  return workerConfigFromEnv(parseEnv(workerEnvSchema, env));
}
