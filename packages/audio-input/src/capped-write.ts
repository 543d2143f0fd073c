import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '@audio-index/shared';
import { byteCap } from './byte-cap.ts';
import { callerAbort } from './fetch-limits.ts';

/**
 * Streams `body` into `targetPath`, failing with TOO_LARGE as soon as more than `maxBytes`
 * arrive (a missing or lying Content-Length cannot fill the disk) and with the transient
 * FETCH_FAILED when `deadline` fires first (a server trickling bytes forever). A failure of
 * the scratch file itself is SCRATCH_WRITE_FAILED, whatever the source did.
 */
export async function writeCapped(
  body: Readable,
  targetPath: string,
  maxBytes: number,
  deadline: AbortSignal,
  caller: { signal?: AbortSignal | undefined } = {},
): Promise<number> {
  const cap = byteCap(maxBytes, () => new AppError('TOO_LARGE', `body exceeds the ${maxBytes}-byte limit`));
  const file = createWriteStream(targetPath);
  // Which stream failed first, not the error's shape, says whose fault it is: a write error
  // (ENOSPC, EFBIG past RLIMIT_FSIZE, EIO) carries no path, only the open's errors do. Once one
  // stream fails, pipeline destroys the others with the same error, and (Node 24) the file
  // stream then emits the source's error as its own; the first 'error' event is the origin.
  let firstFailed: 'source' | 'scratch' | undefined;
  body.once('error', () => (firstFailed ??= 'source'));
  cap.once('error', () => (firstFailed ??= 'source'));
  file.once('error', () => (firstFailed ??= 'scratch'));
  try {
    await pipeline(body, cap, file, { signal: deadline });
  } catch (error) {
    if (error instanceof AppError) throw error;
    const abandoned = callerAbort(caller, error);
    if (abandoned) throw abandoned;
    // The deadline first: pipeline destroys every stream with its AbortError, so the file
    // stream reports that same error too, and it is the source's slowness, not the disk.
    if (deadline.aborted) throw new AppError('FETCH_FAILED', 'download did not finish within the time limit', { cause: error });
    // Our own scratch file failed (disk full, file size limit, no permission): nothing the
    // source did, so not FETCH_FAILED; transient (a retry may find room, or another worker),
    // and its errno message names a local path, which must not reach a batch or a client.
    if (firstFailed === 'scratch') {
      throw new AppError('SCRATCH_WRITE_FAILED', "the download could not be written to this process's scratch space", { cause: error });
    }
    throw new AppError('FETCH_FAILED', `download failed: ${(error as Error).message}`, { cause: error });
  }
  return cap.bytes;
}
