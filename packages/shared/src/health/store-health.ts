/**
 * How a failed object-store call counts for the store's health. Only failures that say the
 * store cannot be used (no answer, a server error, credentials or bucket refused, a disk
 * that refuses writes) make it "down"; a missing object is an answer like any other.
 */
export type StoreFailureKind = 'missing' | 'unusable' | 'answered';

/** Errors of the local directory store that say the directory cannot be used. */
const UNUSABLE_DIRECTORY_CODES = new Set([
  'EACCES',
  'EPERM',
  'EIO',
  'ENOSPC',
  'EDQUOT',
  'EROFS',
  'ESTALE',
  'ENOTCONN',
  'ENODEV',
  'ENXIO',
  'ENOTDIR',
  'ETIMEDOUT',
  'EHOSTDOWN',
]);
/** S3 error names that mean every call will fail the same way until someone fixes the setup. */
const UNUSABLE_S3_NAMES = new Set(['NoSuchBucket', 'AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken']);

export function classifyStoreFailure(error: unknown): StoreFailureKind {
  const name = error instanceof Error ? error.name : undefined;
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const metadata = (error as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata;
  if (name === 'NoSuchKey' || code === 'ENOENT') return 'missing';
  if (name !== undefined && UNUSABLE_S3_NAMES.has(name)) return 'unusable';
  if (metadata !== undefined) {
    const status = metadata.httpStatusCode;
    // No status: the request got no answer (refused, reset, timed out after the SDK's retries).
    if (status === undefined || status >= 500 || status === 401 || status === 403) return 'unusable';
    return status === 404 ? 'missing' : 'answered';
  }
  if (code !== undefined && UNUSABLE_DIRECTORY_CODES.has(code)) return 'unusable';
  // Node's network errors from an S3 client that failed before the SDK wrapped them.
  if (code !== undefined && /^E(CONN|HOST|NET|AI_|PIPE|TIMEDOUT)/.test(code)) return 'unusable';
  return 'answered';
}

/** Whether `error` from a store call means the store is down (for callers deciding how loudly to log). */
export function isStoreOutage(error: unknown): boolean {
  return classifyStoreFailure(error) === 'unusable';
}
