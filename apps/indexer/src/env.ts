import { commonEnvShape, parseEnv } from '@audio-index/shared';
import { z } from 'zod';

export const indexerEnvSchema = z.object({
  ...commonEnvShape,
  /** Publish at least this often while changes are pending (ms). */
  PUBLISH_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(1000),
  /** ...or as soon as this many changes are pending, whichever comes first. */
  PUBLISH_MAX_CHANGES: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** Leader lock lifetime; a standby takes over within about this long after a crash (ms). */
  LEADER_LOCK_TTL_MS: z.coerce.number().int().min(1000).max(600_000).default(10_000),
  /** How often the indexer looks for collections it does not serve yet (ms). */
  COLLECTION_DISCOVERY_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(2000),
});

export type IndexerConfig = z.infer<typeof indexerEnvSchema>;

export function loadIndexerConfig(env: NodeJS.ProcessEnv = process.env): IndexerConfig {
  return parseEnv(indexerEnvSchema, env);
}
