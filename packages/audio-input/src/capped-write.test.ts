import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeCapped } from './capped-write.ts';

/**
 * Whose fault a failed download is (issue 11, item 3). /dev/full is a real device that
 * refuses every write with ENOSPC, exactly as a full disk does; that error carries no path,
 * so before the fix it was taken for the source's and reported FETCH_FAILED "download failed:
 * ENOSPC…".
 */
describe('writeCapped: the scratch file failing is not the source failing', () => {
  let directory: string;
  const noDeadline = () => AbortSignal.timeout(60_000);
  const body = (bytes: number) => Readable.from([Buffer.alloc(bytes, 1)]);

  beforeAll(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'capped-write-'));
  });
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

  it('a write refused with ENOSPC (/dev/full) is SCRATCH_WRITE_FAILED, with no errno or path in the message', async () => {
    const failure = await writeCapped(body(4096), '/dev/full', 1_000_000, noDeadline()).catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'SCRATCH_WRITE_FAILED' });
    expect((failure as Error).message).not.toMatch(/ENOSPC|dev\/full/);
    expect(((failure as Error).cause as NodeJS.ErrnoException).code).toBe('ENOSPC');
  });

  it('a scratch file that cannot be opened is SCRATCH_WRITE_FAILED', async () => {
    const missingDirectory = path.join(directory, 'gone', 'file');
    await expect(writeCapped(body(10), missingDirectory, 1_000_000, noDeadline())).rejects.toMatchObject({ code: 'SCRATCH_WRITE_FAILED' });
  });

  it('a body that breaks off is still FETCH_FAILED, and too many bytes TOO_LARGE', async () => {
    const broken = new Readable({
      read() {
        this.push(Buffer.alloc(100));
        this.destroy(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }));
      },
    });
    await expect(writeCapped(broken, path.join(directory, 'broken'), 1_000_000, noDeadline())).rejects.toMatchObject({ code: 'FETCH_FAILED' });
    await expect(writeCapped(body(2000), path.join(directory, 'large'), 1000, noDeadline())).rejects.toMatchObject({ code: 'TOO_LARGE' });
    expect(await writeCapped(body(1000), path.join(directory, 'fits'), 1000, noDeadline())).toBe(1000);
  });

  it('a body that trickles past the deadline is FETCH_FAILED (the time limit), not the scratch space', async () => {
    // A byte every 10 ms, forever: the deadline ends it. pipeline destroys the file stream with
    // the abort too; in a worker (test/worker/item-failures.test.ts, "trickle") that error could
    // come back as the file's own and read SCRATCH_WRITE_FAILED, so the deadline is checked first.
    for (let run = 0; run < 5; run++) {
      let timer: NodeJS.Timeout | undefined;
      const trickle = new Readable({
        read() {
          timer ??= setInterval(() => this.push(Buffer.of(0)), 10);
        },
        destroy(error, callback) {
          clearInterval(timer);
          callback(error);
        },
      });
      // As an HTTP body fetched under the same deadline does, the body dies with its reason.
      const deadline = AbortSignal.timeout(50);
      deadline.addEventListener('abort', () => trickle.destroy(deadline.reason as Error));
      await expect(writeCapped(trickle, path.join(directory, `trickle-${run}`), 1_000_000, deadline)).rejects.toMatchObject({
        code: 'FETCH_FAILED',
        message: 'download did not finish within the time limit',
      });
    }
  });
});
