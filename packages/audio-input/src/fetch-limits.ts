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
}

export const defaultFetchLimits: FetchLimits = {
  maxBytes: 200 * 1024 * 1024,
  connectTimeoutMs: 10_000,
  totalTimeoutMs: 120_000,
  maxRedirects: 5,
  allowPrivateNetworks: false,
  fileRoot: undefined,
};
