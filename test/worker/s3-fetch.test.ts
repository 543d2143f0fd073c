import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultFetchLimits, fetchToFile, s3Url } from '@audio-index/audio-input';
import { closeAll, createTestBucket, createTestS3Client, testS3ClientConfig } from '../harness/test-services.ts';

describe('fetching s3:// URLs (GetObject, streamed under the size cap)', () => {
  let bucket: string;
  let s3: S3Client;
  let scratch: string;
  const body = Buffer.alloc(5_000, 7);

  beforeAll(async () => {
    bucket = (await createTestBucket('s3-fetch')).bucket;
    await createTestS3Client().send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/a clip é.wav', Body: body }));
    s3 = new S3Client(testS3ClientConfig());
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 's3-fetch-'));
  });

  afterAll(async () => {
    s3?.destroy();
    await closeAll();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  const target = () => path.join(scratch, `${Math.random().toString(36).slice(2)}.bin`);
  // S3_ALLOWED_BUCKETS as the worker passes it: the test's bucket and a bucket that does not exist.
  const limits = () => ({ ...defaultFetchLimits, allowedS3Buckets: [bucket, 'no-such-bucket-here'] });

  it('writes the object to the file, whatever characters its key holds', async () => {
    const file = target();
    const fetched = await fetchToFile(s3Url(bucket, 'dir/a clip é.wav'), file, limits(), { s3 });
    expect(fetched).toMatchObject({ path: file, bytes: body.length });
    expect(fs.readFileSync(file)).toEqual(body);
  });

  it('fails with stable codes: missing key or bucket, too large, no client', async () => {
    await expect(fetchToFile(s3Url(bucket, 'dir/missing.wav'), target(), limits(), { s3 })).rejects.toMatchObject({ code: 'FETCH_NOT_FOUND' });
    await expect(fetchToFile('s3://no-such-bucket-here/a.wav', target(), limits(), { s3 })).rejects.toMatchObject({ code: 'FETCH_NOT_FOUND' });
    await expect(fetchToFile(s3Url(bucket, 'dir/a clip é.wav'), target(), { ...limits(), maxBytes: 1000 }, { s3 })).rejects.toMatchObject({
      code: 'TOO_LARGE',
    });
    await expect(fetchToFile(s3Url(bucket, 'dir/a clip é.wav'), target(), limits())).rejects.toMatchObject({ code: 'UNSUPPORTED_SCHEME' });
  });

  it('reads only buckets in S3_ALLOWED_BUCKETS: any other is SOURCE_NOT_ALLOWED before a request is sent', async () => {
    const file = target();
    // The object exists and the credentials can read it: only the allowlist stands in the way.
    for (const allowedS3Buckets of [undefined, [], ['some-other-bucket']]) {
      await expect(fetchToFile(s3Url(bucket, 'dir/a clip é.wav'), file, { ...defaultFetchLimits, allowedS3Buckets }, { s3 })).rejects.toMatchObject({
        code: 'SOURCE_NOT_ALLOWED',
        details: { bucket },
      });
    }
    expect(fs.existsSync(file)).toBe(false);
  });
});
