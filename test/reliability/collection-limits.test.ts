import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedisKeys } from '@audio-index/shared';
import { closeAll, connectTestRedis, createTestBucket, uniqueName } from '../harness/test-services.ts';
import { startApiUnderTest, type ApiUnderTest } from '../api/support/running-api.ts';
import { IndexerProcess } from '../indexer/support/indexer-process.ts';
import { createIndexerTestSetup } from '../indexer/support/indexer-test-setup.ts';
import { waitFor } from '../indexer/support/wait-for.ts';
import { unitVectorOfDefaultDim } from '../support/default-model.ts';

/** Imported vectors must match the collection's model: the default's dimension. */
const UNIT = unitVectorOfDefaultDim();

interface ErrorBody {
  error: { code: string; details?: Record<string, unknown> };
}

/**
 * Issue 11, items 2 and 7 over HTTP: the collection cap answers its code and creates nothing,
 * DELETE /v1/collections/:c goes through the indexer and frees the name (and a place under
 * the cap), and new items wait while the ingest queue is full (no worker runs here, so every
 * accepted job stays queued: what unreachable URLs do to a real deployment).
 */
describe('collection cap, collection delete and queue backpressure (API over HTTP, indexer process, real Redis and S3)', () => {
  let api: ApiUnderTest;
  let indexer: IndexerProcess;
  const name = uniqueName('lim').slice(0, 40);
  const [first, second, third] = [`${name}-a`, `${name}-b`, `${name}-c`];

  beforeAll(async () => {
    const { bucket } = await createTestBucket('limits');
    api = await startApiUnderTest(bucket, { MAX_COLLECTIONS: '2', MAX_QUEUE_BACKLOG: '4', SNAPSHOT_POLL_INTERVAL_MS: '500' });
    const setup = await createIndexerTestSetup({ REDIS_NAMESPACE: api.namespace, STORE_URL: `s3://${bucket}/snapshots`, MAX_COLLECTIONS: '2' });
    indexer = new IndexerProcess(setup.env);
  });

  afterAll(async () => {
    await indexer?.kill();
    await api?.stop();
    await closeAll();
  });

  it('refuses a third collection, deletes one through the indexer, and holds new items while the queue is full', { timeout: 60_000 }, async () => {
    const keys = createRedisKeys(api.namespace);
    const redis = connectTestRedis();
    const vectors = (collection: string, id: string) =>
      api.call<ErrorBody>('POST', `/v1/collections/${collection}/vectors`, { body: { items: [{ id, vector: UNIT }] } });
    const accepted = await vectors(first, 'x');
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    expect((await vectors(second, 'x')).status).toBe(202);

    const refused = await vectors(third, 'x');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: 'TOO_MANY_COLLECTIONS', details: { limit: 2 } });
    const ingestRefused = await api.call<ErrorBody>('POST', '/v1/ingest', { body: { collection: third, items: [{ url: 'https://example.org/a.wav' }] } });
    expect(ingestRefused.body.error.code).toBe('TOO_MANY_COLLECTIONS');
    expect(await redis.sismember(keys.collections, third)).toBe(0);
    expect(await redis.exists(keys.stream(third))).toBe(0);
    // An existing collection still takes items.
    expect((await vectors(first, 'y')).status).toBe(202);

    await waitFor(
      async () => (await api.call(`GET`, `/v1/collections/${first}`)).status === 200 && (await redis.xlen(keys.stream(first))) === 0,
      30_000,
      () => indexer.output(),
    );
    const deleting = await api.call<{ collection: string; deleting: boolean }>('DELETE', `/v1/collections/${first}`);
    expect(deleting.status).toBe(202);
    expect(deleting.body).toEqual({ collection: first, deleting: true });
    expect((await api.call('DELETE', `/v1/collections/${uniqueName('none')}`)).status).toBe(404);
    await waitFor(
      async () => (await api.call('GET', `/v1/collections/${first}`)).status === 404,
      30_000,
      () => indexer.output(),
    );
    const { body: listed } = await api.call<{ collections: { name: string }[] }>('GET', '/v1/collections');
    expect(listed.collections.map((collection) => collection.name)).not.toContain(first);
    // A place is free again: the third collection is accepted now.
    expect((await vectors(third, 'x')).status).toBe(202);

    // Queue backpressure: no worker takes these, so they stay waiting.
    const items = (prefix: string, count: number) => Array.from({ length: count }, (_, index) => ({ url: `https://example.org/${prefix}-${index}.wav` }));
    expect((await api.call('POST', '/v1/ingest', { body: { collection: second, items: items('q', 4) } })).status).toBe(202);
    const full = await api.call<ErrorBody>('POST', '/v1/ingest', { body: { collection: second, items: items('r', 1) } });
    expect(full.status).toBe(503);
    expect(full.body.error).toMatchObject({ code: 'BACKLOG_FULL', details: { queue: 'ingest', jobs: 4, limit: 4 } });
    expect(Number(full.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await vectors(third, 'z')).status).toBe(503);
    expect(indexer.running, indexer.output()).toBe(true);
  });
});
