import { createWriteStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AppError } from '@audio-index/shared';
import { byteCap } from './byte-cap.ts';
import { callerAbort } from './fetch-limits.ts';

/**
 * Streams `body` into `targetPath`, failing with TOO_LARGE as soon as more than `maxBytes`
 * arrive (a missing or lying Content-Length cannot fill the disk) and with the transient
 * FETCH_FAILED when `deadline` fires first (a server trickling bytes forever).
 */
export async function writeCapped(body: Readable, targetPath: string, maxBytes: number, deadline: AbortSignal, caller: { signal?: AbortSignal | undefined } = {}): Promise<number> {
  const cap = byteCap(maxBytes, () => new AppError('TOO_LARGE', `body exceeds the ${maxBytes}-byte limit`));
  try {
    await pipeline(body, cap, createWriteStream(targetPath), { signal: deadline });
  } catch (error) {
    if (error instanceof AppError) throw error;
    const abandoned = callerAbort(caller, error);
    if (abandoned) throw abandoned;
    // Our own scratch file failed (disk full, no permission): nothing the source did, and its
    // errno message names a local path, which must not reach a batch or a client.
    if ((error as NodeJS.ErrnoException).path === targetPath) throw new AppError('INTERNAL', 'the download could not be written to scratch space', { cause: error });
    if (deadline.aborted) throw new AppError('FETCH_FAILED', 'download did not finish within the time limit', { cause: error });
    throw new AppError('FETCH_FAILED', `download failed: ${(error as Error).message}`, { cause: error });
  }
  return cap.bytes;
}
