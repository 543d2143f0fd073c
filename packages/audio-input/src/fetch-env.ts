import { z } from 'zod';
import { parseNetworks } from './address-policy.ts';

/**
 * `FETCH_ALLOWED_NETWORKS`: comma-separated CIDRs fetchable although private (an internal
 * archive's subnet). One definition for every process that fetches (workers, and the API for
 * URL queries and result playback), so both reach the same archives.
 */
export const fetchAllowedNetworksEnv = z
  .string()
  .optional()
  .transform((value) => (value ?? '').split(',').map((entry) => entry.trim()).filter(Boolean))
  .superRefine((networks, context) => {
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
export const s3AllowedBucketsEnv = z
  .string()
  .optional()
  .transform((value) => (value ?? '').split(',').map((entry) => entry.trim()).filter(Boolean))
  .pipe(z.array(z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'S3_ALLOWED_BUCKETS holds bucket names (3-63 of a-z 0-9 . -), comma-separated')));
