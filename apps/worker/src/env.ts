import { commonEnvShape, envBoolean, modelEnvShape, parseEnv } from '@audio-index/shared';
import { z } from 'zod';

export const workerEnvSchema = z.object({
  ...commonEnvShape,
  ...modelEnvShape,
  /** Jobs in flight per worker process (fetching and decoding overlap with inference). */
  WORKER_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(8),
  ALLOW_PRIVATE_NETWORKS: envBoolean.default(false),
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
