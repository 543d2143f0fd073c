import { AppError } from '@audio-index/shared';

export interface S3Location {
  bucket: string;
  /** Object key, or key prefix for a listing; no leading slash. */
  key: string;
}

/** `s3://bucket/some/key` -> { bucket, key }. Keys are taken verbatim (percent-decoded). */
export function parseS3Url(url: string | URL): S3Location {
  const parsed = typeof url === 'string' ? new URL(url) : url;
  if (parsed.protocol !== 's3:' || !parsed.hostname) throw new AppError('INVALID_URL', `not an s3://bucket/key URL: ${String(url)}`);
  return { bucket: parsed.hostname, key: decodeURIComponent(parsed.pathname.replace(/^\//, '')) };
}

/** The inverse of parseS3Url; each key segment is percent-encoded so any key round-trips. */
export function s3Url(bucket: string, key: string): string {
  return `s3://${bucket}/${key.split('/').map(encodeURIComponent).join('/')}`;
}
