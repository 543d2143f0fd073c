import path from 'node:path';
import { z } from 'zod';
import { DEFAULT_SEGMENTATION } from '../collections/collection-settings.ts';
import { AppError } from '../errors.ts';
import { segmentationSchema, type Segmentation } from '../snapshot/manifest.ts';
import { envBoolean } from './env-parsing.ts';

/**
 * Variables every process reads (README, "Configuration"). Apps extend this in their own
 * `src/env.ts`; nothing below the app's entry point reads `process.env`.
 */
export const commonEnvShape = {
  REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  STORE_URL: z
    .string()
    .regex(/^(s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?|file:\/\/\/.+)$/, 'must be s3://bucket/prefix or file:///absolute/dir')
    .default(`file://${path.resolve('data/store')}`),
  S3_ENDPOINT: z.string().url().optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_FORCE_PATH_STYLE: envBoolean.default(false),
  /** Prefix of every Redis key and queue, so deployments (or tests) can share one Redis. */
  REDIS_NAMESPACE: z
    .string()
    .regex(/^[a-z0-9][a-z0-9_-]{0,31}$/)
    .default('ai'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /**
   * How long a stopping process lets in-flight work (a job, a request, a publish) finish; it
   * exits within this plus RELEASE_MARGIN_MS (5 s) whatever its dependencies are doing.
   */
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(25_000),
};

export const commonEnvSchema = z.object(commonEnvShape);
export type CommonEnv = z.infer<typeof commonEnvSchema>;

export type LogLevel = CommonEnv['LOG_LEVEL'];

export interface RedisOptions {
  url: string;
  /** Prefix of every key and queue (createRedisKeys). */
  namespace: string;
}

/** Where snapshots live (createObjectStore): `file:///abs/dir` or `s3://bucket/prefix`, and how S3 is reached. */
export interface StoreOptions {
  url: string;
  endpoint?: string | undefined;
  region: string;
  forcePathStyle: boolean;
}

/** What every process takes from the common variables. */
export interface CommonOptions {
  logLevel: LogLevel;
  /** In-flight work's time to finish on stop (ms); see SHUTDOWN_GRACE_MS. */
  shutdownGraceMs: number;
  redis: RedisOptions;
  store: StoreOptions;
}

export function commonOptions(env: CommonEnv): CommonOptions {
  return {
    logLevel: env.LOG_LEVEL,
    shutdownGraceMs: env.SHUTDOWN_GRACE_MS,
    redis: { url: env.REDIS_URL, namespace: env.REDIS_NAMESPACE },
    store: { url: env.STORE_URL, endpoint: env.S3_ENDPOINT, region: env.S3_REGION, forcePathStyle: env.S3_FORCE_PATH_STYLE },
  };
}

export const modelEnvShape = {
  MODEL: z.string().default('default'),
  EXECUTION_PROVIDER: z.enum(['cpu', 'cuda']).default('cpu'),
  /** Inference threads (one ONNX session each). */
  EMBED_THREADS: z.coerce.number().int().min(1).max(64).default(1),
};

/** The embedding model a process loads (createEmbedder's options). */
export interface ModelOptions {
  /** A built-in name or a model card path. */
  model: string;
  executionProvider: 'cpu' | 'cuda';
  /** Inference threads (one ONNX session each). */
  threads: number;
}

export function modelOptions(env: { MODEL: string; EXECUTION_PROVIDER: 'cpu' | 'cuda'; EMBED_THREADS: number }): ModelOptions {
  return { model: env.MODEL, executionProvider: env.EXECUTION_PROVIDER, threads: env.EMBED_THREADS };
}

/**
 * Segmentation of collections created without a request naming one (docs/segments.md):
 * read by the API and queue-fed producers, which fix a new collection's settings, and by
 * workers for collections written before settings existed. The defaults are bench/segments'.
 */
export const segmentEnvShape = {
  SEGMENT_SECONDS: z.coerce.number().positive().max(600).default(DEFAULT_SEGMENTATION.segmentSeconds),
  SEGMENT_HOP_SECONDS: z.coerce.number().positive().max(600).default(DEFAULT_SEGMENTATION.hopSeconds),
};

/**
 * The segmentation the segment variables describe; a hop longer than the segment is refused
 * with CONFIG_INVALID. Apps call it while shaping their config, so the refusal comes at boot.
 */
export function segmentationFromEnv(config: { SEGMENT_SECONDS: number; SEGMENT_HOP_SECONDS: number }): Segmentation {
  const parsed = segmentationSchema.safeParse({ segmentSeconds: config.SEGMENT_SECONDS, hopSeconds: config.SEGMENT_HOP_SECONDS });
  if (!parsed.success)
    throw new AppError('CONFIG_INVALID', `SEGMENT_HOP_SECONDS (${config.SEGMENT_HOP_SECONDS}) must not exceed SEGMENT_SECONDS (${config.SEGMENT_SECONDS})`);
  return parsed.data;
}
