import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchLedger, createRedisKeys, type ItemFailure } from '@audio-index/shared';
import { closeAll, connectTestRedis, createTestBucket, uniqueName } from '../harness/test-services.ts';
import { startApiUnderTest, type ApiUnderTest } from '../api/support/running-api.ts';
import { IndexerProcess } from '../indexer/support/indexer-process.ts';
import { createIndexerTestSetup } from '../indexer/support/indexer-test-setup.ts';
import { waitFor } from '../indexer/support/wait-for.ts';
import { unitVectorOfDefaultDim } from '../support/default-model.ts';

/** Imported vectors must match the collection's model: the default's dimension. */
const UNIT = unitVectorOfDefaultDim();
const RETENTION_SECONDS = 2;

/** How many of `keys` exist, one EXISTS each: they span two Cluster slots (the collection's and the meta tag). */
const existing = async (redis: { exists(key: string): Promise<number> }, ...keys: string[]) =>
  (await Promise.all(keys.map((key) => redis.exists(key)))).reduce((sum, one) => sum + one, 0);

const failure = (id: string): ItemFailure => ({ id, url: `https://example.org/${id}.wav`, code: 'FETCH_NOT_FOUND', message: 'gone', attempts: 1 });

/**
 * Issue 11 item 14: a batch's record, failure list and batch -> collection lookup expire
 * BATCH_RETENTION_SECONDS after the batch is done, never before; GET /v1/batches/:id on an
 * expired batch is the unknown-batch 404.
 */
describe('batch keys expire a retention time after the batch is done (real Redis; API and indexer process)', () => {
  const redis = connectTestRedis();

  afterAll(async () => {
    await closeAll();
  });

  describe('in the ledger (worker-side outcomes)', () => {
    const keys = createRedisKeys(uniqueName('ret').slice(0, 32).replace(/-+$/, ''));
    const ledger = new BatchLedger(redis, keys, { retentionSeconds: RETENTION_SECONDS });
    const ttls = async (collection: string, batchId: string) => [
      await redis.ttl(keys.batch(collection, batchId)),
      await redis.ttl(keys.batchFailures(collection, batchId)),
      await redis.ttl(keys.batchCollection(batchId)),
    ];

    it('a batch ended by failures: no TTL while running, TTL on all three keys once done, then gone', { timeout: 30_000 }, async () => {
      const collection = uniqueName('ret-fail');
      await ledger.createBatch(collection, 'b', 2);
      expect(await ledger.recordFailure(collection, 'b', 'job-1', failure('one'))).toBe(true);
      // Running: the record has no TTL (-1); the failure list exists and has none either.
      expect(await ttls(collection, 'b')).toEqual([-1, -1, -1]);
      expect(await ledger.recordFailure(collection, 'b', 'job-2', failure('two'))).toBe(true);
      for (const ttl of await ttls(collection, 'b')) {
        expect(ttl).toBeGreaterThan(0);
        expect(ttl).toBeLessThanOrEqual(RETENTION_SECONDS);
      }
      expect((await ledger.status('b'))?.state).toBe('done');
      await waitFor(async () => (await ledger.status('b')) === undefined, 15_000);
      expect(await existing(redis, keys.batch(collection, 'b'), keys.batchFailures(collection, 'b'), keys.batchCollection('b'))).toBe(0);
    });

    it('a listing ended by its last page and a listing that cannot go on both start the clock; a running listing does not', { timeout: 30_000 }, async () => {
      const collection = uniqueName('ret-list');
      await ledger.createBatch(collection, 'l1', 0, { listing: true });
      await ledger.recordListedPage(collection, 'l1', 0, 0, false);
      expect((await ttls(collection, 'l1'))[0]).toBe(-1);
      await ledger.recordListedPage(collection, 'l1', 1, 0, true);
      expect((await ttls(collection, 'l1'))[0]).toBeGreaterThan(0);
      expect((await ttls(collection, 'l1'))[2]).toBeGreaterThan(0);

      await ledger.createBatch(collection, 'l2', 0, { listing: true });
      await ledger.recordListingFailure(collection, 'l2', failure('source'));
      const [record, failures, lookup] = await ttls(collection, 'l2');
      expect([record! > 0, failures! > 0, lookup! > 0]).toEqual([true, true, true]);
    });

    it('confirming an accept keeps a running batch for good and a batch already done for its retention only', async () => {
      const collection = uniqueName('ret-confirm');
      await ledger.createBatch(collection, 'running', 1, { acceptingSeconds: 600 });
      await ledger.confirmBatch(collection, 'running');
      expect((await ttls(collection, 'running'))[0]).toBe(-1);
      expect((await ttls(collection, 'running'))[2]).toBe(-1);

      await ledger.createBatch(collection, 'finished', 1, { acceptingSeconds: 600 });
      await ledger.recordFailure(collection, 'finished', 'job-f', failure('fast'));
      await ledger.confirmBatch(collection, 'finished');
      const [record, , lookup] = await ttls(collection, 'finished');
      expect(record).toBeGreaterThan(0);
      expect(record).toBeLessThanOrEqual(RETENTION_SECONDS);
      expect(lookup).toBeGreaterThan(0);
      expect(lookup).toBeLessThanOrEqual(RETENTION_SECONDS);
    });
  });

  describe('over HTTP, batches the indexer finishes (served credits)', () => {
    let api: ApiUnderTest;
    let indexer: IndexerProcess;

    beforeAll(async () => {
      const { bucket } = await createTestBucket('retention');
      const retention = { BATCH_RETENTION_SECONDS: String(RETENTION_SECONDS) };
      api = await startApiUnderTest(bucket, { ...retention, SNAPSHOT_POLL_INTERVAL_MS: '500' });
      const setup = await createIndexerTestSetup({ ...retention, REDIS_NAMESPACE: api.namespace, STORE_URL: `s3://${bucket}/snapshots` });
      indexer = new IndexerProcess(setup.env);
    });

    afterAll(async () => {
      await indexer?.kill();
      await api?.stop();
    });

    it('a served batch keeps its keys until done, then answers 404 once its retention ran out', { timeout: 60_000 }, async () => {
      const keys = createRedisKeys(api.namespace);
      const collection = uniqueName('ret-http');
      const accepted = await api.call<{ batchId: string }>('POST', `/v1/collections/${collection}/vectors`, { body: { items: [{ id: 'x', vector: UNIT }] } });
      expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
      const { batchId } = accepted.body;
      let state = '';
      await waitFor(
        async () => {
          // Before done, the record and lookup carry no TTL. Read before the state: a "running"
          // answer means the batch was running when the TTLs were read.
          const ttls = [await redis.ttl(keys.batch(collection, batchId)), await redis.ttl(keys.batchCollection(batchId))];
          const { body } = await api.call<{ state: string }>('GET', `/v1/batches/${batchId}`);
          state = body.state;
          if (state === 'running') expect(ttls).toEqual([-1, -1]);
          return state === 'done';
        },
        30_000,
        () => indexer.output(),
      );
      expect(await redis.ttl(keys.batch(collection, batchId))).toBeGreaterThan(0);
      expect(await redis.ttl(keys.batchCollection(batchId))).toBeGreaterThan(0);
      await waitFor(
        async () => (await api.call('GET', `/v1/batches/${batchId}`)).status === 404,
        20_000,
        () => indexer.output(),
      );
      const gone = await api.call<{ error: { code: string } }>('GET', `/v1/batches/${batchId}`);
      expect(gone.body.error.code).toBe('BATCH_NOT_FOUND');
      expect(await existing(redis, keys.batch(collection, batchId), keys.batchFailures(collection, batchId), keys.batchCollection(batchId))).toBe(0);
      expect(indexer.running, indexer.output()).toBe(true);
    });
  });
});
