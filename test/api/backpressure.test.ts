import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisKeys, encodeStreamFields } from '@audio-index/shared';
import { closeAll, connectTestRedis, createTestBucket, uniqueName } from '../harness/test-services.ts';
import { startApiUnderTest, type ApiUnderTest } from './support/running-api.ts';

interface ErrorBody {
  error: { code: string; details: { entries: number; limit: number } };
}

describe('backpressure: new items wait while the indexer is behind', () => {
  const collection = uniqueName('backlog');
  let api: ApiUnderTest;

  beforeAll(async () => {
    const { bucket } = await createTestBucket('backlog');
    // No indexer runs here, so whatever enters the stream stays: the backlog only grows.
    api = await startApiUnderTest(bucket, { MAX_STREAM_BACKLOG: '3' });
  });

  afterAll(async () => {
    await api?.stop();
    await closeAll();
  });

  it('answers 503 BACKLOG_FULL with Retry-After once the stream passes the limit, and accepts again when it drains', async () => {
    const vector = Array.from({ length: 4 }, (_, index) => index + 1);
    const items = [{ url: 'https://example.org/a.wav', id: 'a' }];
    expect((await api.call('POST', '/v1/ingest', { body: { collection, items } })).status).toBe(202);

    const redis = connectTestRedis();
    const stream = createRedisKeys(api.namespace).stream(collection);
    for (let index = 0; index < 3; index += 1) {
      await redis.xadd(
        stream,
        '*',
        ...(encodeStreamFields({ op: 'upsert', id: `x${index}`, modelId: 'm', vectors: Float32Array.from(vector), dim: vector.length }) as string[]),
      );
    }
    const refused = await api.call<ErrorBody>('POST', '/v1/ingest', { body: { collection, items } });
    expect(refused.status).toBe(503);
    expect(refused.body.error.code).toBe('BACKLOG_FULL');
    expect(refused.body.error.details).toMatchObject({ entries: 3, limit: 3 });
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    const vectors = await api.call<ErrorBody>('POST', `/v1/collections/${collection}/vectors`, { body: { items: [{ id: 'v', vector }] } });
    expect(vectors.status).toBe(503);
    // Another collection is not held back by this one's backlog.
    expect((await api.call('POST', '/v1/ingest', { body: { collection: `${collection}-other`, items } })).status).toBe(202);

    await redis.del(stream); // the indexer caught up
    expect((await api.call('POST', '/v1/ingest', { body: { collection, items } })).status).toBe(202);
  });
});
