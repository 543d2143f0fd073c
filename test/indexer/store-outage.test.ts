import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchLedger, createObjectStore, INDEXER_CONSUMER_GROUP, readLatestVersion } from '@audio-index/shared';
import { closeAll, connectTestRedis, testServiceEnv, uniqueName } from '../harness/test-services.ts';
import { IndexerProcess } from './support/indexer-process.ts';
import { createIndexerTestSetup, feedVectors, readVisibleRows } from './support/indexer-test-setup.ts';
import { RestartableS3rver } from './support/restartable-s3rver.ts';
import { waitFor } from './support/wait-for.ts';

const DIM = 16;
const OUTAGE_MS = 20_000;

describe('the S3 server stops for 20 s mid-ingest (real processes)', () => {
  let s3: RestartableS3rver | undefined;
  const processes: IndexerProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((indexer) => indexer.kill()));
    await s3?.close();
    await closeAll();
  });

  it('acks nothing while the store is down, loses nothing, and catches up after', { timeout: 90_000 }, async () => {
    s3 = await RestartableS3rver.start();
    const bucketName = uniqueName('outage');
    await s3.createBucket(bucketName);
    const setup = await createIndexerTestSetup({ STORE_URL: `s3://${bucketName}/snapshots` }, s3.endpoint);
    const services = testServiceEnv();
    const store = createObjectStore(
      { url: `s3://${bucketName}/snapshots`, endpoint: s3.endpoint, region: 'us-east-1', forcePathStyle: true },
      { accessKeyId: services.AWS_ACCESS_KEY_ID, secretAccessKey: services.AWS_SECRET_ACCESS_KEY },
    );
    const redis = connectTestRedis();
    const batchKey = setup.keys.batch(setup.collection, 'b');
    const streamKey = setup.keys.stream(setup.collection);
    const indexed = async () => Number(await redis.hget(batchKey, 'indexed'));
    await new BatchLedger(redis, setup.keys).createBatch(setup.collection, 'b', 600);
    const ids = Array.from({ length: 600 }, (_, index) => `id-${index}`);

    const indexer = new IndexerProcess(setup.env);
    processes.push(indexer);
    await feedVectors(redis, setup, 'b', ids.slice(0, 300), { dim: DIM });
    await waitFor(
      async () => (await indexed()) === 300,
      30_000,
      () => indexer.output(),
    );
    const servedBefore = await readLatestVersion(store, setup.collection);

    await s3.halt();
    const outageEnds = Date.now() + OUTAGE_MS;
    for (let round = 0; round < 10; round += 1) {
      await feedVectors(redis, setup, 'b', ids.slice(300 + round * 30, 330 + round * 30), { dim: DIM });
      await sleep(500);
    }
    while (Date.now() < outageEnds) {
      // Nothing is acked, nothing is counted as indexed, nothing leaves the stream.
      expect(await indexed()).toBe(300);
      expect(await redis.xlen(streamKey)).toBe(300);
      await sleep(1000);
    }
    const [pending] = (await redis.xpending(streamKey, INDEXER_CONSUMER_GROUP)) as [number];
    expect(pending).toBe(300);
    expect(indexer.running).toBe(true);

    await s3.resume();
    await waitFor(
      async () => (await indexed()) === 600,
      30_000,
      () => indexer.output(),
    );
    const after = await readVisibleRows(store, setup.collection);
    expect(after!.version).toBeGreaterThan(servedBefore!);
    expect(after!.rows.map((row) => row.id).sort()).toEqual([...ids].sort());
    expect(await redis.xlen(streamKey)).toBe(0);
    await store.close();
  });
});
