import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AppError,
  BatchLedger,
  CollectionCatalog,
  CollectionCommands,
  CollectionSettings,
  IngestBackpressure,
  IngestProducer,
  LocalDirectoryStore,
  createLogger,
  createRedisKeys,
  jobCatalog,
  type RedisKeys,
} from '@audio-index/shared';
import { dropCollection } from '../../apps/indexer/src/collection-drop.ts';
import { closeAll, connectTestRedis, createTestBucket, uniqueName } from '../harness/test-services.ts';
import { startApiUnderTest, type ApiUnderTest } from '../api/support/running-api.ts';
import { IndexerProcess } from '../indexer/support/indexer-process.ts';
import { createIndexerTestSetup } from '../indexer/support/indexer-test-setup.ts';
import { waitFor } from '../indexer/support/wait-for.ts';

type Step = () => Promise<void>;

/** The real admission check, then `next` (a step of a delete), before the accept goes on. */
class AdmitThen extends IngestBackpressure {
  next: Step | undefined;
  override async admit(collection: string): Promise<void> {
    await super.admit(collection);
    await this.next?.();
  }
}

/** The real queue; `next` runs before the accept's jobs are queued (its batch and name are recorded by then). */
class QueueThen extends Queue {
  next: Step | undefined;
  override async addBulk(...jobs: Parameters<Queue['addBulk']>): ReturnType<Queue['addBulk']> {
    await this.next?.();
    return super.addBulk(...jobs);
  }
}

/** Every key under the collection's tag, from each master on a Cluster (as collection-drop.ts finds them). */
async function keysOf(redis: Redis, keys: RedisKeys, collection: string): Promise<string[]> {
  const cluster = redis as unknown as { isCluster?: boolean; nodes?: (role: 'master') => Redis[] };
  const nodes = cluster.isCluster && cluster.nodes ? cluster.nodes('master') : [redis];
  const found: string[] = [];
  for (const node of nodes) found.push(...(await node.keys(keys.collectionKeyPattern(collection))));
  return found.sort();
}

const settingsOf = async (redis: Redis, keys: RedisKeys, collection: string) => {
  const text = await redis.get(keys.collectionSettings(collection));
  return text === null ? null : (JSON.parse(text) as unknown);
};

afterAll(closeAll);

const refusal = (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (error: unknown) => error,
  );

/**
 * An accept (IngestProducer, behind POST /v1/ingest) racing DELETE /v1/collections/:c. The
 * delete's steps (the API's mark, then the drop: keys, then marker and name, in the order of
 * apps/indexer/src/collection-drop.ts) run at fixed points inside the accept, so each
 * interleaving happens every run. Before the fix, the accept's settings and batch written
 * after the drop had removed the keys survived it under a name no longer in the catalog
 * (a later request with other settings: 409), and an accept whose batch the drop removed
 * still answered 202.
 */
describe('an accept and a collection delete are ordered (real Redis, real drop)', () => {
  const redis = connectTestRedis();
  const namespace = uniqueName('race').slice(0, 32).replace(/-+$/, '');
  const keys = createRedisKeys(namespace);
  const catalog = new CollectionCatalog(redis, keys);
  const commands = new CollectionCommands(redis, keys);
  let storeRoot: string;
  let queue: QueueThen;
  let backpressure: AdmitThen;
  let producer: IngestProducer;

  beforeAll(() => {
    storeRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'accept-race-'));
    queue = new QueueThen(jobCatalog.ingestItem.queue, { connection: redis, prefix: keys.queuePrefix });
    backpressure = new AdmitThen(redis, keys, queue);
    producer = new IngestProducer({
      queue,
      ledger: new BatchLedger(redis, keys),
      maxItemsPerRequest: 100,
      backpressure,
      settings: new CollectionSettings(redis, keys),
    });
  });

  afterAll(async () => {
    await queue?.obliterate({ force: true });
    await queue?.close();
    if (storeRoot) fs.rmSync(storeRoot, { recursive: true, force: true });
  });

  const item = (id: string) => ({ id, url: `https://example.invalid/${id}.wav` });
  const drop = (collection: string) =>
    dropCollection({ redis, store: new LocalDirectoryStore(storeRoot), keys, collection, logger: createLogger('test', 'silent') });

  /** The drop up to its last step: every key of the tag but the lock and marker removed (collection-drop.ts). */
  async function dropKeys(collection: string): Promise<void> {
    await catalog.markDeleting(collection);
    const kept = new Set([keys.indexerLock(collection), keys.collectionDeleting(collection)]);
    for (const key of await keysOf(redis, keys, collection)) if (!kept.has(key)) await redis.del(key);
  }

  async function existingCollection(): Promise<string> {
    const collection = uniqueName('racing');
    const first = await producer.submit({ collection, segmentation: { segmentSeconds: 5, hopSeconds: 2.5 }, items: [item('first')] });
    expect(first.accepted).toBe(1);
    expect(await catalog.has(collection)).toBe(true);
    return collection;
  }

  it('a delete that lands after the check and drops the keys before the accept records anything: refused, nothing survives the drop', async () => {
    const collection = await existingCollection();
    backpressure.next = async () => {
      backpressure.next = undefined;
      await commands.deleteCollection(collection); // the API's DELETE
      await dropKeys(collection);
    };
    const refused = await refusal(producer.submit({ collection, segmentation: { segmentSeconds: 7, hopSeconds: 3.5 }, items: [item('late')] }));
    await catalog.forget(collection); // the drop's last step

    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('COLLECTION_DELETING');
    expect(await keysOf(redis, keys, collection)).toEqual([]);
    expect(await catalog.has(collection)).toBe(false);
    // The freed name takes other settings (before the fix: 409 SEGMENTATION_MISMATCH from the survivor).
    const reused = await producer.submit({ collection, segmentation: { segmentSeconds: 4, hopSeconds: 2 }, items: [item('again')] });
    expect(reused.accepted).toBe(1);
    expect(await settingsOf(redis, keys, collection)).toEqual({ segmentation: { segmentSeconds: 4, hopSeconds: 2 } });
    expect(await catalog.has(collection)).toBe(true);
  });

  it('a whole delete and drop between recording the batch and queueing its jobs: no 202, the name stays free', async () => {
    const collection = await existingCollection();
    queue.next = async () => {
      queue.next = undefined;
      await commands.deleteCollection(collection);
      await drop(collection);
    };
    const refused = await refusal(producer.submit({ collection, items: [item('during')] }));

    expect(refused).toBeInstanceOf(AppError);
    expect((refused as AppError).code).toBe('COLLECTION_DELETING');
    expect(await keysOf(redis, keys, collection)).toEqual([]);
    expect(await catalog.has(collection)).toBe(false);
  });

  it('an accept that starts as the drop ends (marker gone, name still being deleted) is refused and leaves no batch', async () => {
    const collection = await existingCollection();
    await commands.deleteCollection(collection);
    await dropKeys(collection);
    await redis.del(keys.collectionDeleting(collection)); // forget's first step; the names follow
    const ledger = new BatchLedger(redis, keys);
    const refused = await refusal(ledger.createBatch(collection, 'between', 1, { acceptingSeconds: 60 }));
    await catalog.forget(collection);

    expect((refused as AppError).code).toBe('COLLECTION_DELETING');
    // Two slots (the collection's tag and the meta one): one EXISTS each, as a Cluster requires.
    expect(await redis.exists(keys.batch(collection, 'between'))).toBe(0);
    expect(await redis.exists(keys.batchCollection('between'))).toBe(0);
    expect(await catalog.has(collection)).toBe(false);
  });

  it('other settings than the record holds: 409 and no batch recorded', async () => {
    const collection = await existingCollection();
    const refused = await refusal(producer.submit({ collection, segmentation: { segmentSeconds: 7, hopSeconds: 3.5 }, items: [item('other')] }));
    expect((refused as AppError).code).toBe('SEGMENTATION_MISMATCH');
    expect((await keysOf(redis, keys, collection)).filter((key) => key.includes(':batch:'))).toHaveLength(1); // the first batch only
    // The same settings asked for again, or none asked for: accepted with the collection's.
    expect((await producer.submit({ collection, segmentation: { segmentSeconds: 5, hopSeconds: 2.5 }, items: [item('same')] })).accepted).toBe(1);
    expect((await producer.submit({ collection, items: [item('unsaid')] })).accepted).toBe(1);
    expect(await settingsOf(redis, keys, collection)).toEqual({ segmentation: { segmentSeconds: 5, hopSeconds: 2.5 } });
  });
});

/**
 * An accept that died after recording its settings and batch, before its name: the batch
 * expires unconfirmed, the settings record stays under a name the catalog does not know.
 * Other settings are refused 409 (as for a collection), and DELETE of the name, which
 * answered 404 before, removes it through the indexer, so the name is free again.
 */
describe('settings left by an interrupted accept (API, indexer process, real Redis and S3)', () => {
  const redis = connectTestRedis();
  let api: ApiUnderTest;
  let indexer: IndexerProcess;

  beforeAll(async () => {
    const { bucket } = await createTestBucket('orphan-settings');
    api = await startApiUnderTest(bucket, { SNAPSHOT_POLL_INTERVAL_MS: '500' });
    const setup = await createIndexerTestSetup({ REDIS_NAMESPACE: api.namespace, STORE_URL: `s3://${bucket}/snapshots` });
    indexer = new IndexerProcess(setup.env);
  });

  afterAll(async () => {
    await indexer?.kill();
    await api?.stop();
  });

  it('DELETE of a name holding only settings answers 202 and frees it for other settings', { timeout: 60_000 }, async () => {
    const keys = createRedisKeys(api.namespace);
    const collection = uniqueName('orphan');
    const left = { segmentSeconds: 10, hopSeconds: 5 };
    // The accept's first step, and nothing after it (the process died).
    await new CollectionSettings(redis, keys).fix(collection, left);
    const other = { segmentSeconds: 7, hopSeconds: 3.5 };
    const body = { collection, segmentation: other, items: [{ id: 'a', url: 'https://example.invalid/a.wav' }] };
    const mismatch = await api.call<{ error: { code: string } }>('POST', '/v1/ingest', { body });
    expect(mismatch.status).toBe(409);
    expect(mismatch.body.error.code).toBe('SEGMENTATION_MISMATCH');
    expect((await api.call('GET', `/v1/collections/${collection}`)).status).toBe(404);

    const deleting = await api.call('DELETE', `/v1/collections/${collection}`);
    expect(deleting.status, JSON.stringify(deleting.body)).toBe(202);
    await waitFor(
      async () => (await redis.exists(keys.collectionSettings(collection), keys.collectionDeleting(collection))) === 0,
      30_000,
      () => indexer.output(),
    );
    await waitFor(
      async () => !(await new CollectionCatalog(redis, keys).has(collection)),
      30_000,
      () => indexer.output(),
    );

    const reused = await api.call('POST', '/v1/ingest', { body });
    expect(reused.status, JSON.stringify(reused.body)).toBe(202);
    expect(await settingsOf(redis, keys, collection)).toEqual({ segmentation: other });
    // A name with nothing at all is still unknown.
    expect((await api.call('DELETE', `/v1/collections/${uniqueName('none')}`)).status).toBe(404);
  });
});
