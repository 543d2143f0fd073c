import {
  backpressureEnvShape,
  batchRetentionEnvShape,
  collectionNameSchema,
  commonEnvShape,
  commonOptions,
  envCommaList,
  parseEnv,
  type CommonOptions,
} from '@audio-index/shared';
import { z } from 'zod';
import type { CompactionPolicy } from './compaction-plan.ts';
import type { ReindexScheduleConfig } from './reindex/reindex-schedule.ts';

export const indexerEnvSchema = z.object({
  ...commonEnvShape,
  ...batchRetentionEnvShape,
  /** Port of the indexer's Prometheus endpoint (`GET /metrics`: publish and served timing); unset: none. */
  INDEXER_METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  INDEXER_METRICS_HOST: z.string().default('0.0.0.0'),
  /**
   * Publish at least this often while changes are pending (ms): also the most an item waits
   * between its stream append and the publish that serves it. 1000 made that wait (stage
   * `served`) ~0.9-1.1 s of a 4-recording batch's 6-7.5 s; 250 made it ~0.3-0.4 s, with as
   * many publishes (3-4) in the run (bench/ingest/RESULTS.md). Under steady ingest a shorter
   * interval means more, smaller shards, which compaction merges (COMPACTION_FAN_IN).
   */
  PUBLISH_INTERVAL_MS: z.coerce.number().int().min(50).max(3_600_000).default(250),
  /** ...or as soon as this many changes are pending, whichever comes first. */
  PUBLISH_MAX_CHANGES: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  /** Leader lock lifetime; a standby takes over within about this long after a crash (ms). */
  LEADER_LOCK_TTL_MS: z.coerce.number().int().min(1000).max(600_000).default(10_000),
  /** Collections served at most (the API refuses more); the same value as the API's. */
  MAX_COLLECTIONS: backpressureEnvShape.MAX_COLLECTIONS,
  /** How often the indexer looks for collections it does not serve yet (ms). */
  COLLECTION_DISCOVERY_INTERVAL_MS: z.coerce.number().int().min(100).max(600_000).default(2000),
  /** Compaction merges shards up to this size (bytes of the `.faiss` file). */
  COMPACTION_TARGET_SHARD_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(256 * 1024 * 1024),
  /** Shards of one size tier merge once this many exist (higher: less rewriting, more shards). */
  COMPACTION_FAN_IN: z.coerce.number().int().min(2).max(64).default(8),
  /** A shard with a larger fraction of tombstoned rows is rewritten without them. */
  COMPACTION_MAX_TOMBSTONE_RATIO: z.coerce.number().min(0).max(1).default(0.2),
  /** Committed versions kept for rollback (`activate`), the current one included. */
  RETENTION_VERSIONS: z.coerce.number().int().min(1).max(100_000).default(10),
  /** Unreferenced objects are deleted only after this long (ms): readers may still be loading them. */
  RETENTION_GRACE_MS: z.coerce.number().int().min(0).default(600_000),
  /** How often retention looks for unreferenced objects (ms). */
  RETENTION_INTERVAL_MS: z.coerce.number().int().min(100).default(60_000),
  /** Scheduled reindex (BullMQ job scheduler): a cron expression; unset or empty: none. */
  REINDEX_CRON: z
    .string()
    .optional()
    .transform((value) => value?.trim() || undefined),
  /** What a scheduled reindex re-embeds: `missing` (items without a vector of the target model) or `all`. */
  REINDEX_CRON_MODE: z.enum(['all', 'missing']).default('missing'),
  /** Comma-separated collections a scheduled reindex covers; unset: every collection. */
  REINDEX_CRON_COLLECTIONS: envCommaList().pipe(z.array(collectionNameSchema)),
  /** Model a scheduled reindex moves collections to (built-in name or card path, as the workers see it); unset: each collection's own. */
  REINDEX_CRON_MODEL: z
    .string()
    .optional()
    .transform((value) => value?.trim() || undefined),
});

export type IndexerEnv = z.infer<typeof indexerEnvSchema>;

/** What one collection's leader loop takes (collection-indexer.ts). */
export interface CollectionIndexerOptions {
  /** Publish every `intervalMs` while changes are pending, or once `maxChanges` are. */
  publish: { intervalMs: number; maxChanges: number };
  /** The leader lock's lifetime (ms). */
  leader: { lockTtlMs: number };
  compaction: CompactionPolicy;
  /** Versions kept for rollback, how long unreferenced objects wait (ms), and how often retention runs (ms). */
  retention: { keepVersions: number; graceMs: number; intervalMs: number };
  batches: { retentionSeconds: number };
}

/** The indexer's configuration in the groups its parts take (start-indexer.ts passes each its own). */
export interface IndexerConfig extends CommonOptions, CollectionIndexerOptions {
  /** How often new collections are looked for (ms), and how many are served at most. */
  discovery: { intervalMs: number; maxCollections: number };
  reindexSchedule: ReindexScheduleConfig;
  /** `GET /metrics`; port unset: none. */
  metrics: { port: number | undefined; host: string };
}

function indexerConfigFromEnv(env: IndexerEnv): IndexerConfig {
  return {
    ...commonOptions(env),
    publish: { intervalMs: env.PUBLISH_INTERVAL_MS, maxChanges: env.PUBLISH_MAX_CHANGES },
    leader: { lockTtlMs: env.LEADER_LOCK_TTL_MS },
    compaction: { targetShardBytes: env.COMPACTION_TARGET_SHARD_BYTES, fanIn: env.COMPACTION_FAN_IN, maxTombstoneRatio: env.COMPACTION_MAX_TOMBSTONE_RATIO },
    retention: { keepVersions: env.RETENTION_VERSIONS, graceMs: env.RETENTION_GRACE_MS, intervalMs: env.RETENTION_INTERVAL_MS },
    batches: { retentionSeconds: env.BATCH_RETENTION_SECONDS },
    discovery: { intervalMs: env.COLLECTION_DISCOVERY_INTERVAL_MS, maxCollections: env.MAX_COLLECTIONS },
    reindexSchedule: { cron: env.REINDEX_CRON, mode: env.REINDEX_CRON_MODE, collections: env.REINDEX_CRON_COLLECTIONS, model: env.REINDEX_CRON_MODEL },
    metrics: { port: env.INDEXER_METRICS_PORT, host: env.INDEXER_METRICS_HOST },
  };
}

/** Parses and shapes the indexer's variables once at boot: CONFIG_INVALID naming each bad one. */
export function loadIndexerConfig(env: NodeJS.ProcessEnv = process.env): IndexerConfig {
  return indexerConfigFromEnv(parseEnv(indexerEnvSchema, env));
}
