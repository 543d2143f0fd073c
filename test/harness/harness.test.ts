import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { closeAll, connectTestRedis, createTestBucket, createTestS3Client, testRedisUrl, testS3Config, testServiceEnv, uniqueName } from './test-services.ts';

afterAll(closeAll);

describe('test Redis', () => {
  it('answers PING and round-trips a string', async () => {
    const redis = connectTestRedis();
    const key = uniqueName('harness-string');

    expect(await redis.ping()).toBe('PONG');
    await redis.set(key, 'hello', 'EX', 60);
    expect(await redis.get(key)).toBe('hello');
  });

  it('keeps stream field bytes exact, including bytes that are not valid UTF-8', async () => {
    const redis = connectTestRedis();
    const stream = uniqueName('harness-stream');
    const everyByteValue = Buffer.from(Array.from({ length: 256 }, (_, value) => value));
    const vector = Buffer.from(new Float32Array([Math.PI, -0, Number.NaN, 1e-38, -3.4e38]).buffer);
    const payload = Buffer.concat([everyByteValue, vector, randomBytes(2048)]);

    const id = await redis.xadd(stream, '*', 'vector', payload);
    const entries = await redis.xrangeBuffer(stream, '-', '+');

    expect(entries).toHaveLength(1);
    const [entryId, fields] = entries[0]!;
    expect(entryId.toString()).toBe(id);
    expect(fields[0]!.toString()).toBe('vector');
    expect(Buffer.compare(fields[1]!, payload)).toBe(0);
    await redis.del(stream);
  });
});

describe('test S3', () => {
  it('puts, gets, lists and deletes objects in a bucket of its own', async () => {
    const { bucket, cleanup } = await createTestBucket('harness');
    const s3 = createTestS3Client();
    const body = Buffer.from('snapshot manifest v1');

    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/a.json', Body: body, ContentType: 'application/json' }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'dir/b.json', Body: Buffer.from('{}') }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'other/c.json', Body: Buffer.from('{}') }));

    const fetched = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'dir/a.json' }));
    expect(Buffer.from(await fetched.Body!.transformToByteArray())).toEqual(body);

    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: 'dir/' }));
    expect(listed.Contents?.map((object) => object.Key)).toEqual(['dir/a.json', 'dir/b.json']);

    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: 'dir/a.json' }));
    const afterDelete = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    expect(afterDelete.Contents?.map((object) => object.Key)).toEqual(['dir/b.json', 'other/c.json']);

    await cleanup();
  });

  // @aws-sdk/lib-storage is not a dependency, so this is one plain PUT rather than a multipart upload.
  it('round-trips a 6 MB object byte for byte', async () => {
    const { bucket } = await createTestBucket('harness-large');
    const s3 = createTestS3Client();
    const body = randomBytes(6 * 1024 * 1024);

    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'shard-0.faiss', Body: body }));
    const fetched = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: 'shard-0.faiss' }));
    const fetchedBytes = Buffer.from(await fetched.Body!.transformToByteArray());

    expect(fetched.ContentLength).toBe(body.length);
    expect(Buffer.compare(fetchedBytes, body)).toBe(0);
    // Left to closeAll() on purpose: it must empty and delete buckets a test did not clean up.
  });
});

describe('harness helpers', () => {
  it('makes names that are unique and valid as queue, collection and bucket names', () => {
    const names = Array.from({ length: 1_000 }, () => uniqueName('My Queue:Name__with/Odd chars'));

    expect(new Set(names).size).toBe(names.length);
    for (const name of names) expect(name).toMatch(/^[a-z0-9][a-z0-9-]{2,62}$/);
    expect(uniqueName('')).toMatch(/^test-/);
    expect(uniqueName('x'.repeat(200)).length).toBeLessThanOrEqual(63);
  });

  it('provides one consistent set of connection settings', () => {
    const s3 = testS3Config();
    const env = testServiceEnv();

    expect(env.REDIS_URL).toBe(testRedisUrl());
    expect(env.S3_ENDPOINT).toBe(s3.endpoint);
    expect(env.AWS_ACCESS_KEY_ID).toBe(s3.accessKeyId);
    expect(env.AWS_SECRET_ACCESS_KEY).toBe(s3.secretAccessKey);
    expect(env.AWS_REGION).toBe(s3.region);
  });
});
