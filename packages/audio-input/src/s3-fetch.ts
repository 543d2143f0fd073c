import { Readable } from 'node:stream';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { AppError } from '@audio-index/shared';
import { writeCapped } from './capped-write.ts';
import { callerAbort, fetchDeadline, type FetchLimits } from './fetch-limits.ts';
import { parseS3Url } from './s3-location.ts';

/**
 * GetObject streamed to `targetPath` under the same size cap and total deadline as HTTP.
 * No address guard here: the endpoint is the operator's configuration (S3_ENDPOINT), not
 * the caller's; the caller only names a bucket and key, which the credentials scope.
 */
export async function fetchS3ObjectToFile(url: URL, targetPath: string, limits: FetchLimits, client: S3Client): Promise<number> {
  const { bucket, key } = parseS3Url(url);
  const deadline = fetchDeadline(limits);
  let body: Readable;
  try {
    const answer = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: deadline });
    if (answer.ContentLength !== undefined && answer.ContentLength > limits.maxBytes) {
      (answer.Body as Readable | undefined)?.destroy();
      throw new AppError('TOO_LARGE', `${url.href} is ${answer.ContentLength} bytes; the limit is ${limits.maxBytes}`);
    }
    // An empty object may come without a body stream: it is zero bytes, which ffmpeg refuses as NOT_AUDIO.
    body = (answer.Body as Readable | undefined) ?? Readable.from([]);
  } catch (error) {
    throw callerAbort(limits, error) ?? toS3FetchError(error, url, deadline);
  }
  return writeCapped(body, targetPath, limits.maxBytes, deadline, limits);
}

function toS3FetchError(error: unknown, url: URL, deadline: AbortSignal): AppError {
  if (error instanceof AppError) return error;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const name = (error as Error).name;
  if (name === 'NoSuchKey' || name === 'NoSuchBucket' || status === 404) {
    return new AppError('FETCH_NOT_FOUND', `${url.href} does not exist`, { cause: error });
  }
  // Access denied will not change on retry; throttling and 5xx will.
  if (status === 403 || name === 'AccessDenied') return new AppError('FETCH_NOT_FOUND', `${url.href}: access denied`, { cause: error });
  if (deadline.aborted) return new AppError('FETCH_FAILED', `fetching ${url.href} timed out`, { cause: error });
  return new AppError('FETCH_FAILED', `fetching ${url.href} failed: ${(error as Error).message}`, { cause: error });
}
