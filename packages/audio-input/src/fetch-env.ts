import { envBoolean, envCommaList } from '@audio-index/shared';
import { z } from 'zod';
import { parseNetworks } from './address-policy.ts';
import type { FetchLimits } from './fetch-limits.ts';

/**
 * `FETCH_ALLOWED_NETWORKS`: comma-separated CIDRs fetchable although private (an internal
 * archive's subnet). One definition for every process that fetches (workers, and the API for
 * URL queries and result playback), so both reach the same archives.
 */
export const fetchAllowedNetworksEnv = envCommaList().superRefine((networks, context) => {
  try {
    parseNetworks(networks);
  } catch (error) {
    context.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/**
 * `S3_ALLOWED_BUCKETS`: comma-separated bucket names `s3://` items and sources may name
 * (ingest, bulk listings, URL queries, item audio). Unset: none, the store's bucket included
 * (shared ingest/s3-bucket-allowlist.ts says why). The API and the workers read the same list,
 * so a bucket the API refuses at accept is one no worker would read either.
 */
export const s3AllowedBucketsEnv = envCommaList().pipe(
  z.array(z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'S3_ALLOWED_BUCKETS holds bucket names (3-63 of a-z 0-9 . -), comma-separated')),
);

/**
 * What may be fetched, the same in every process that fetches (workers for ingest and
 * listings, the API for URL queries and item audio), so a URL one accepts the others reach.
 */
export const fetchGuardEnvShape = {
  /** Let fetches reach loopback, private and link-local addresses. */
  ALLOW_PRIVATE_NETWORKS: envBoolean.default(false),
  /** Comma-separated CIDRs fetchable although private, e.g. an internal archive's subnet. */
  FETCH_ALLOWED_NETWORKS: fetchAllowedNetworksEnv,
  /** Buckets `s3://` items, sources, URL queries and item audio may name; unset: none (SOURCE_NOT_ALLOWED). */
  S3_ALLOWED_BUCKETS: s3AllowedBucketsEnv,
  /** Directory `file://` URLs may read; unset: `file://` is refused. */
  FILE_ROOT: z.string().optional(),
};

export type FetchGuardEnv = z.infer<z.ZodObject<typeof fetchGuardEnvShape>>;

/** How much one kind of fetch may take: the part each process sets for itself. */
export interface FetchBudget {
  maxBytes: number;
  connectTimeoutMs: number;
  totalTimeoutMs: number;
  maxRedirects: number;
}

/** The one builder of FetchLimits from configuration: the shared guard plus the caller's budget. */
export function fetchLimitsFromEnv(guard: FetchGuardEnv, budget: FetchBudget): FetchLimits {
  return {
    ...budget,
    allowPrivateNetworks: guard.ALLOW_PRIVATE_NETWORKS,
    allowedNetworks: guard.FETCH_ALLOWED_NETWORKS,
    allowedS3Buckets: guard.S3_ALLOWED_BUCKETS,
    fileRoot: guard.FILE_ROOT,
  };
}
