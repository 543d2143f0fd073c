import { AppError } from '@audio-index/shared';

export interface FetchLimits {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** Time to establish a connection and receive response headers, per hop (ms). */
  connectTimeoutMs: number;
  /** Time for the whole fetch, all hops and the body included (ms). */
  totalTimeoutMs: number;
  maxRedirects: number;
  /** Let fetches reach loopback, private and link-local addresses. */
  allowPrivateNetworks: boolean;
  /** CIDRs allowed although private (FETCH_ALLOWED_NETWORKS); see createAddressPolicy. */
  allowedNetworks?: readonly string[] | undefined;
  /** Directory `file://` URLs may read; undefined refuses `file://`. */
  fileRoot: string | undefined;
  /** Buckets `s3://` URLs may name (S3_ALLOWED_BUCKETS); undefined or empty refuses every bucket with SOURCE_NOT_ALLOWED. */
  allowedS3Buckets?: readonly string[] | undefined;
  /** The caller's own abort (an API query whose client went away): the fetch stops, REQUEST_ABORTED. */
  signal?: AbortSignal | undefined;
}

/** The total deadline, ended early by the caller's signal. */
export function fetchDeadline(limits: FetchLimits): AbortSignal {
  const timeout = AbortSignal.timeout(limits.totalTimeoutMs);
  return limits.signal ? AbortSignal.any([timeout, limits.signal]) : timeout;
}

/** REQUEST_ABORTED when the caller gave up (not a fault of the source, nothing to retry). */
export function callerAbort(limits: { signal?: AbortSignal | undefined }, cause?: unknown): AppError | undefined {
  return limits.signal?.aborted ? new AppError('REQUEST_ABORTED', 'the request was abandoned by its client', { cause }) : undefined;
}

export const defaultFetchLimits: FetchLimits = {
  maxBytes: 200 * 1024 * 1024,
  connectTimeoutMs: 10_000,
  totalTimeoutMs: 120_000,
  maxRedirects: 5,
  allowPrivateNetworks: false,
  fileRoot: undefined,
};
