import type { S3Client } from '@aws-sdk/client-s3';
import { AppError, checkS3Bucket } from '@audio-index/shared';
import { createAddressPolicy } from './address-policy.ts';
import type { FetchLimits } from './fetch-limits.ts';
import { fetchHttpToFile } from './http-fetch.ts';
import { resolveLocalFile } from './local-file.ts';
import { fetchS3ObjectToFile } from './s3-fetch.ts';

export interface FetchedFile {
  path: string;
  bytes: number;
  contentType: string | undefined;
}

export interface FetchSources {
  /** Reads `s3://` URLs; without one they are refused with UNSUPPORTED_SCHEME. */
  s3?: S3Client | undefined;
}

/**
 * Fetches `url` into `targetPath` (a `file://` URL under FILE_ROOT is read where it is, and
 * the returned `path` says so), enforcing the size cap, both timeouts, the redirect
 * limit and the address policy on every hop. The body goes to a file because ffmpeg needs
 * to seek in some containers (MP4 with its index at the end).
 */
export async function fetchToFile(url: string, targetPath: string, limits: FetchLimits, sources: FetchSources = {}): Promise<FetchedFile> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (error) {
    throw new AppError('INVALID_URL', `not a URL: ${url}`, { cause: error });
  }
  switch (parsed.protocol) {
    case 'file:':
      return { ...(await resolveLocalFile(parsed, limits)), contentType: undefined };
    case 's3:': {
      // Before the client: a bucket nobody allowed is refused the same way on every process.
      checkS3Bucket(parsed, limits.allowedS3Buckets);
      if (!sources.s3) throw new AppError('UNSUPPORTED_SCHEME', 's3:// URLs are not readable here (no S3 client configured)');
      const bytes = await fetchS3ObjectToFile(parsed, targetPath, limits, sources.s3);
      return { path: targetPath, bytes, contentType: undefined };
    }
    case 'http:':
    case 'https:': {
      const policy = createAddressPolicy({ allowPrivateNetworks: limits.allowPrivateNetworks, allowedNetworks: limits.allowedNetworks });
      return { path: targetPath, ...(await fetchHttpToFile(parsed, targetPath, limits, policy)) };
    }
    default:
      throw new AppError('UNSUPPORTED_SCHEME', `scheme ${parsed.protocol} is not supported (use http, https, s3 or file)`);
  }
}
