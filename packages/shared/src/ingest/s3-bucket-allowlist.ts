import { AppError } from '../errors.ts';

/**
 * `s3://` sources are read with the deployment's own credentials, which can reach more than
 * audio (the snapshot store, other teams' buckets), so only buckets the operator named in
 * `S3_ALLOWED_BUCKETS` may be ingested, listed, searched by URL or played. No bucket is
 * allowed unless named, the store's own included: it holds the index, not audio.
 * One check for the API at accept time and for every fetch and listing.
 */
export function checkS3Bucket(url: string | URL, allowedBuckets: readonly string[] | undefined, path = 'url'): void {
  const parsed = typeof url === 'string' ? parseOrUndefined(url) : url;
  if (!parsed || parsed.protocol !== 's3:') return;
  const bucket = parsed.hostname;
  if (allowedBuckets?.includes(bucket)) return;
  throw new AppError('SOURCE_NOT_ALLOWED', `${path}: bucket ${JSON.stringify(bucket)} is not in S3_ALLOWED_BUCKETS`, { details: { path, bucket } });
}

function parseOrUndefined(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined; // not a URL: the caller's own validation answers for it
  }
}
