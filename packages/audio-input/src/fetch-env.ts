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
