import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchLedger, CollectionCatalog, CollectionSettings, createRedisKeys } from '@audio-index/shared';
import { closeAll, connectTestRedis, createTestBucket, uniqueName } from '../harness/test-services.ts';
import { startApiUnderTest, type ApiUnderTest } from '../api/support/running-api.ts';
import { IndexerProcess } from '../indexer/support/indexer-process.ts';
import { createIndexerTestSetup, vectorFor } from '../indexer/support/indexer-test-setup.ts';
import { waitFor } from '../indexer/support/wait-for.ts';
import { toneClip, wavBytes } from '../worker/support/wav-audio.ts';
import { startWorkerUnderTest, workerTestEnv, type WorkerUnderTest } from '../worker/support/worker-harness.ts';
import { unitVectorOfDefaultDim } from '../support/default-model.ts';

/** Imported vectors must match the collection's model: the default's dimension. */
const UNIT = unitVectorOfDefaultDim();

/**
 * A job queued before DELETE /v1/collections/:c must not write into the collection once it
 * is being deleted or gone: the script that records an embedded item refuses, and the worker
 * completes the job without output (no stream, no name and no settings record brought back,
 * so the name can be created again with other settings).
 */
describe('queued jobs of a deleted collection append nothing (API, indexer process, worker, real Redis and S3)', () => {
  const redis = connectTestRedis();
  let fileRoot: string;
  let api: ApiUnderTest;
  let indexer: IndexerProcess;
  let worker: WorkerUnderTest | undefined;

  beforeAll(async () => {
    fileRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'deleted-jobs-'));
    fs.writeFileSync(path.join(fileRoot, 'late.wav'), wavBytes(toneClip(5, 1)));
    const { bucket } = await createTestBucket('deleted-jobs');
    api = await startApiUnderTest(bucket, { FILE_ROOT: fileRoot, SNAPSHOT_POLL_INTERVAL_MS: '500' });
    const setup = await createIndexerTestSetup({ REDIS_NAMESPACE: api.namespace, STORE_URL: `s3://${bucket}/snapshots` });
    indexer = new IndexerProcess(setup.env);
  });

  afterAll(async () => {
    await worker?.stop();
    await indexer?.kill();
    await api?.stop();
    await closeAll();
    if (fileRoot) fs.rmSync(fileRoot, { recursive: true, force: true });
  });

  it('a job queued before the delete runs after it: completed, nothing appended, the name stays free', { timeout: 120_000 }, async () => {
    const keys = createRedisKeys(api.namespace);
    const collection = uniqueName('doomed');
    expect((await api.call('POST', `/v1/collections/${collection}/vectors`, { body: { items: [{ id: 'x', vector: UNIT }] } })).status).toBe(202);
    await waitFor(
      async () => (await api.call('GET', `/v1/collections/${collection}`)).status === 200 && (await redis.xlen(keys.stream(collection))) === 0,
      30_000,
      () => indexer.output(),
    );

    // No worker runs yet: the job waits in the queue across the whole delete.
    const accepted = await api.call<{ batchId: string }>('POST', '/v1/ingest', {
      body: { collection, items: [{ id: 'late', url: pathToFileURL(path.join(fileRoot, 'late.wav')).href }] },
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    expect((await api.call('DELETE', `/v1/collections/${collection}`)).status).toBe(202);
    await waitFor(
      async () => (await api.call('GET', `/v1/collections/${collection}`)).status === 404,
      30_000,
      () => indexer.output(),
    );
    expect(await redis.exists(keys.stream(collection), keys.collectionDeleting(collection))).toBe(0);

    worker = await startWorkerUnderTest(workerTestEnv({ REDIS_NAMESPACE: api.namespace, FILE_ROOT: fileRoot }));
    // Completed jobs are removed (job-catalog.ts), failed ones kept: an empty queue with no
    // failure means the job ran to completion.
    const queue = worker.queue;
    await waitFor(
      async () => Object.values(await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized')).every((count) => count === 0),
      60_000,
      () => indexer.output(),
    );
    expect(await queue.getJobCounts('failed')).toEqual({ failed: 0 });
    expect(await redis.exists(keys.stream(collection))).toBe(0);
    expect(await new CollectionCatalog(redis, keys).has(collection)).toBe(false);
    expect(await redis.exists(keys.collectionSettings(collection))).toBe(0);
    expect((await api.call('GET', `/v1/batches/${accepted.body.batchId}`)).status).toBe(404);
    expect(indexer.running, indexer.output()).toBe(true);

    // The free name takes other settings than the deleted collection had (no SEGMENTATION_MISMATCH).
    const segmentation = { segmentSeconds: 7, hopSeconds: 3.5 };
    const reused = await api.call('POST', '/v1/ingest', {
      body: { collection, segmentation, items: [{ id: 'again', url: pathToFileURL(path.join(fileRoot, 'late.wav')).href }] },
    });
    expect(reused.status, JSON.stringify(reused.body)).toBe(202);
    expect(JSON.parse((await redis.get(keys.collectionSettings(collection)))!)).toEqual({ segmentation });
  });

  it('while the drop has not run yet, the marker alone refuses an append into a batch that still exists', async () => {
    const keys = createRedisKeys(uniqueName('mark').slice(0, 32).replace(/-+$/, ''));
    const collection = uniqueName('marked');
    const ledger = new BatchLedger(redis, keys);
    await ledger.createBatch(collection, 'b', 2);
    const item = (id: string) => ({ op: 'upsert' as const, id, modelId: 'test-model', vectors: vectorFor(id, 4), dim: 4, batchId: 'b' });
    expect(await ledger.recordEmbedded(collection, 'job-before', item('before'))).toMatch(/^\d+-\d+$/);
    await new CollectionCatalog(redis, keys).markDeleting(collection);
    expect(await ledger.recordEmbedded(collection, 'job-after', item('after'))).toBeNull();
    expect(await redis.xlen(keys.stream(collection))).toBe(1);
    expect((await ledger.status('b'))?.embedded).toBe(1);
    // Nothing marks the job as recorded: it is refused, not deduplicated.
    expect(await redis.exists(keys.jobOutcome(collection, 'job-after'))).toBe(0);
  });

  it("a worker reads a job's settings only while its batch exists and no delete is under way, and never writes them back", async () => {
    const keys = createRedisKeys(uniqueName('set').slice(0, 32).replace(/-+$/, ''));
    const collection = uniqueName('settings');
    const ledger = new BatchLedger(redis, keys);
    const catalog = new CollectionCatalog(redis, keys);
    const creator = new CollectionSettings(redis, keys); // the API's side (IngestProducer)
    const workerDefaults = { segmentSeconds: 4, hopSeconds: 2 };
    const worker = new CollectionSettings(redis, keys, workerDefaults);
    const first = { segmentSeconds: 10, hopSeconds: 5 };
    await creator.fix(collection, first);
    await ledger.createBatch(collection, 'b1', 2);
    expect(await worker.forJob(collection, 'b1')).toEqual(first);

    // Marked for deletion, batch still there: a worker that has not cached it gets nothing.
    await catalog.markDeleting(collection);
    expect(await new CollectionSettings(redis, keys, workerDefaults).forJob(collection, 'b1')).toBeUndefined();
    // Dropped (keys, then marker and name, as collection-drop.ts): still nothing, and nothing written.
    await redis.del(keys.collectionSettings(collection), keys.batch(collection, 'b1'));
    await catalog.forget(collection);
    expect(await new CollectionSettings(redis, keys, workerDefaults).forJob(collection, 'b1')).toBeUndefined();
    expect(await redis.exists(keys.collectionSettings(collection))).toBe(0);

    // The name reused at once with other settings: the worker that cached the old life's batch
    // reads the new life's batch afresh.
    const second = { segmentSeconds: 5, hopSeconds: 2.5 };
    expect(await creator.fix(collection, second)).toEqual(second);
    await ledger.createBatch(collection, 'b2', 1);
    expect(await worker.forJob(collection, 'b2')).toEqual(second);
    expect(await worker.forJob(collection, 'gone')).toBeUndefined();
    expect(JSON.parse((await redis.get(keys.collectionSettings(collection)))!)).toEqual({ segmentation: second });

    // A live batch of a collection with no record (vectors imported, then reindexed): the worker's defaults, kept.
    const imported = uniqueName('imported');
    await ledger.createBatch(imported, 'r1', 0, { listing: true });
    expect(await worker.forJob(imported, 'r1')).toEqual(workerDefaults);
    await expect(creator.fix(imported, first)).rejects.toMatchObject({ code: 'SEGMENTATION_MISMATCH' });
  });
});
