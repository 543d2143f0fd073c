import { execFileSync } from 'node:child_process';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessSystem } from '../support/process-system.ts';
import { closeAll, createTestBucket, createTestS3Client, testServiceEnv, uniqueName } from '../harness/test-services.ts';
import { toneClip, wavBytes } from '../worker/support/wav-audio.ts';

/** Largest file the worker may write once limited (RLIMIT_FSIZE): the big recording is 5x this. */
const FILE_SIZE_LIMIT = 64 * 1024;

/**
 * A download that this worker cannot write is not the source's failure (issue 11, item 3).
 * The worker process gets RLIMIT_FSIZE (`prlimit --pid`, the kernel's per-process file size
 * cap, as a quota or a full disk does it: the open succeeds, a later write fails, here EFBIG;
 * Node ignores SIGXFSZ). Such a write error carries no path, so before the fix it was taken for
 * the source's: the item failed `FETCH_FAILED` "download failed: EFBIG: file too large, write".
 * Now it is SCRATCH_WRITE_FAILED (transient, retried: another worker or a later attempt may
 * have room), and a recording that fits is unaffected.
 */
describe('scratch space failures are reported as ours, not the source', () => {
  const collection = uniqueName('scratch');
  let archive: string;
  let system: ProcessSystem;

  beforeAll(async () => {
    archive = (await createTestBucket('scratch-archive')).bucket;
    const s3 = createTestS3Client();
    // 10 s at 16 kHz, 16-bit: 320 KB; 1 s: 32 KB, under the limit.
    await s3.send(new PutObjectCommand({ Bucket: archive, Key: 'big.wav', Body: wavBytes(toneClip(31, 10)) }));
    await s3.send(new PutObjectCommand({ Bucket: archive, Key: 'small.wav', Body: wavBytes(toneClip(32, 1)) }));
    system = await ProcessSystem.start({
      services: testServiceEnv(),
      bucket: (await createTestBucket('scratch-store')).bucket,
      namespace: uniqueName('rel').slice(0, 32).replace(/-+$/, ''),
      env: { S3_ALLOWED_BUCKETS: archive },
    });
    // Set once the worker is up (its model is loaded); from here on every file it writes is capped.
    execFileSync('prlimit', ['--pid', String(system.workers[0]!.pid), `--fsize=${FILE_SIZE_LIMIT}`]);
  });

  afterAll(async () => {
    await system?.stop();
    await closeAll();
  });

  it('a download the worker cannot write fails SCRATCH_WRITE_FAILED after its retries, with no errno in the record; one that fits indexes', async () => {
    const accepted = await system.call<{ batchId: string }>('POST', '/v1/ingest', {
      body: {
        collection,
        items: [
          { id: 'big', url: `s3://${archive}/big.wav` },
          { id: 'small', url: `s3://${archive}/small.wav` },
        ],
      },
    });
    expect(accepted.status).toBe(202);
    const status = await system.waitForBatch(accepted.body.batchId, 120_000);
    expect(status).toMatchObject({ total: 2, indexed: 1, failed: 1 });
    expect(status.failures.map((failure) => `${failure.id}: ${failure.code} x${failure.attempts}`)).toEqual(['big: SCRATCH_WRITE_FAILED x4']);
    expect(JSON.stringify(status.failures)).not.toMatch(/EFBIG|audio-index-|\/tmp/);
    expect(system.crashes()).toEqual([]);
  }, 150_000);
});
