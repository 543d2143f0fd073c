import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, BatchLedger, IngestProducer, createRedisConnection, jobCatalog, type BatchStatus } from '@audio-index/shared';
import { ProcessSystem } from '../support/process-system.ts';
import { closeAll, createTestBucket, testRedisUrl, testServiceEnv, uniqueName } from '../harness/test-services.ts';
import { startScriptedHttpServer, type ScriptedHttpServer } from '../worker/support/scripted-http-server.ts';
import { toneClip, wavBytes } from '../worker/support/wav-audio.ts';
import { waitFor } from './support/recovery-check.ts';

/**
 * Every job ends its batch (issue 11, item 4). Before: a job whose worker was killed twice
 * mid-job was failed by BullMQ without its processor running, a payload that did not parse
 * threw before recording, and an accept whose enqueue failed left its batch record behind:
 * each left a batch `running` forever (a reindex then refused every later one with 409).
 */
describe('every job ends its batch, whatever kills it', () => {
  const namespace = uniqueName('rel').slice(0, 32).replace(/-+$/, '');
  let server: ScriptedHttpServer;
  let system: ProcessSystem;
  /** Paths that hang (accept, never answer) while listed here: a job stays mid-fetch until its worker dies. */
  const hanging = new Set<string>();

  beforeAll(async () => {
    const wav = (seed: number) => wavBytes(toneClip(seed, 0.5));
    const serveOrHang = (path: string, seed: number) => (_request: unknown, response: { end(body: Buffer): void }) => {
      if (!hanging.has(path)) response.end(wav(seed));
    };
    server = await startScriptedHttpServer('127.0.0.1', {
      '/hang.wav': () => undefined,
      '/good-1.wav': serveOrHang('/good-1.wav', 1),
      '/good-2.wav': serveOrHang('/good-2.wav', 2),
    });
    const { bucket } = await createTestBucket('reliability-endings');
    system = await ProcessSystem.start({
      services: testServiceEnv(),
      bucket,
      namespace,
      // A short lock makes a killed worker's job stall (and be picked up again) within seconds;
      // a long fetch timeout keeps the hanging fetch from ending the job any other way.
      env: { WORKER_LOCK_DURATION_MS: '2000', FETCH_TOTAL_TIMEOUT_MS: '300000', FETCH_CONNECT_TIMEOUT_MS: '10000', WORKER_CONCURRENCY: '4' },
    });
  });

  afterAll(async () => {
    await system?.stop();
    await server?.close();
    await closeAll();
  });

  it('an item whose worker is killed mid-job twice fails WORKER_STALLED; its batch is done and the rest indexed', async () => {
    const collection = uniqueName('stalls');
    const accepted = await system.call<{ batchId: string }>('POST', '/v1/ingest', {
      body: {
        collection,
        items: [
          { id: 'killer', url: server.url('/hang.wav') },
          { id: 'good-1', url: server.url('/good-1.wav') },
          { id: 'good-2', url: server.url('/good-2.wav') },
        ],
      },
    });
    expect(accepted.status).toBe(202);
    // The good items are embedded first (the killer only hangs), so the kills hit the killer alone.
    await waitFor(
      async () => (await system.call<BatchStatus>('GET', `/v1/batches/${accepted.body.batchId}`)).body.embedded === 2,
      'the good items embedded',
      60_000,
    );
    for (let kill = 1; kill <= 2; kill += 1) {
      await waitFor(async () => server.hits('/hang.wav') >= kill, `fetch ${kill} of the killer`, 60_000);
      await system.workers.find((worker) => worker.running)!.kill('SIGKILL');
      await system.startWorker();
    }
    const status = await system.waitForBatch(accepted.body.batchId, 90_000);
    expect(status, JSON.stringify(status)).toMatchObject<Partial<BatchStatus>>({ total: 3, indexed: 2, failed: 1, state: 'done' });
    expect(status.failures.map((failure) => `${failure.id}: ${failure.code}`)).toEqual(['killer: WORKER_STALLED']);
    // Killed twice, not run a third time: the worker that found it stalled again recorded it instead.
    expect(server.hits('/hang.wav')).toBe(2);
    expect(system.crashes()).toEqual([]);
  }, 180_000);

  it('a reindex whose re-embed jobs stall twice still completes, so the next reindex is accepted', async () => {
    const collection = uniqueName('stalls-reindex');
    const ingest = await system.call<{ batchId: string }>('POST', '/v1/ingest', {
      body: {
        collection,
        items: [
          { id: 'a', url: server.url('/good-1.wav') },
          { id: 'b', url: server.url('/good-2.wav') },
        ],
      },
    });
    expect(ingest.status).toBe(202);
    await system.waitForBatch(ingest.body.batchId);
    await waitFor(async () => (await system.call<{ count: number }>('GET', `/v1/collections/${collection}`)).body.count === 2, 'the collection served', 30_000);
    const before = { a: server.hits('/good-1.wav'), b: server.hits('/good-2.wav') };
    hanging.add('/good-1.wav').add('/good-2.wav');
    const reindex = await system.call<{ reindexId: string }>('POST', `/v1/collections/${collection}/reindex`, { body: { mode: 'all' } });
    expect(reindex.status, JSON.stringify(reindex.body)).toBe(202);
    for (let kill = 1; kill <= 2; kill += 1) {
      // Both jobs hang at once (concurrency 4): kill once both are mid-fetch.
      await waitFor(
        async () => server.hits('/good-1.wav') >= before.a + kill && server.hits('/good-2.wav') >= before.b + kill,
        `re-embed fetches ${kill}`,
        60_000,
      );
      await system.workers.find((worker) => worker.running)!.kill('SIGKILL');
      await system.startWorker();
    }
    const status = await system.waitForBatch(reindex.body.reindexId, 90_000);
    expect(status.failures.map((failure) => `${failure.id}: ${failure.code}`).sort()).toEqual(['a: WORKER_STALLED', 'b: WORKER_STALLED']);
    hanging.clear();
    // The indexer ends the build on its next pass; until then a new reindex is still refused.
    let next: { status: number; body: unknown } = { status: 0, body: undefined };
    await waitFor(
      async () => {
        next = await system.call('POST', `/v1/collections/${collection}/reindex`, { body: { mode: 'all' } });
        return next.status !== 409;
      },
      'a second reindex to be accepted',
      30_000,
      500,
    );
    expect(next.status, JSON.stringify(next.body)).toBe(202);
    expect(system.crashes()).toEqual([]);
  }, 240_000);

  it('jobs whose payload does not parse fail BAD_PAYLOAD in their batch, item and listing jobs alike', async () => {
    const collection = uniqueName('bad-payload');
    const ledger = new BatchLedger(system.redis, system.keys);
    const queue = new Queue(jobCatalog.ingestItem.queue, {
      connection: createRedisConnection(system.env.REDIS_URL!, 'test-queue'),
      prefix: system.keys.queuePrefix,
    });
    try {
      // As an incompatible producer would write them: the batch is real, the payloads are not v1.
      await ledger.createBatch(collection, 'b-bad-items', 2);
      await queue.add(
        jobCatalog.ingestItem.name,
        { v: 1, batchId: 'b-bad-items', collection, itemId: 'no-url', url: 'not a url' },
        { jobId: 'bad-1', attempts: 4 },
      );
      await queue.add(
        jobCatalog.ingestItem.name,
        { v: 2, batchId: 'b-bad-items', collection, itemId: 'v2', url: server.url('/good-1.wav') },
        { jobId: 'bad-2', attempts: 4 },
      );
      await ledger.createBatch(collection, 'b-bad-listing', 0, { listing: true });
      await queue.add(
        jobCatalog.listSource.name,
        { v: 1, batchId: 'b-bad-listing', collection, source: 'ftp://archive/', page: 0 },
        { jobId: 'bad-3', attempts: 6 },
      );
      const items = await system.waitForBatch('b-bad-items', 60_000);
      expect(items).toMatchObject({ total: 2, failed: 2, state: 'done' });
      expect(items.failures.map((failure) => `${failure.id}: ${failure.code} x${failure.attempts}`).sort()).toEqual([
        'no-url: BAD_PAYLOAD x1',
        'v2: BAD_PAYLOAD x1',
      ]);
      const listing = await system.waitForBatch('b-bad-listing', 60_000);
      expect(listing).toMatchObject({ total: 1, failed: 1, listing: 'done', state: 'done' });
      expect(listing.failures.map((failure) => failure.code)).toEqual(['BAD_PAYLOAD']);
    } finally {
      await queue.close();
    }
  }, 120_000);

  describe('an accept that fails half-way leaves no batch running', () => {
    const admin = () => system.redis;
    const users: string[] = [];
    /**
     * A Redis user that may write the namespace's batch keys but not its queue keys: the batch
     * record is made, then every addBulk is refused (NOPERM), as a queue that fails mid-accept.
     * It may read the queue's keys (and use BullMQ's counting script, whose one declared key is
     * the queue's prefix), so the backlog check before the record passes.
     */
    async function producerThatCannotQueue(extraRules: string[] = []): Promise<IngestProducer> {
      const user = uniqueName('half').replace(/-/g, '_');
      users.push(user);
      await admin().call(
        'ACL',
        'SETUSER',
        user,
        'on',
        '>secret',
        `~${namespace}:*`,
        `%R~{${namespace}.queue}:*`,
        `%RW~{${namespace}.queue}:*:`,
        '&*',
        '+@all',
        ...extraRules,
      );
      const url = new URL(testRedisUrl());
      url.username = user;
      url.password = 'secret';
      return IngestProducer.connect({ redisUrl: url.toString(), namespace });
    }
    const batchKeysOf = async (collection: string) => admin().keys(system.keys.batch(collection, '*'));

    afterAll(async () => {
      for (const user of users) await admin().call('ACL', 'DELUSER', user);
    });

    it('the batch record is removed when the queue refuses the jobs', async () => {
      const collection = uniqueName('half-accept');
      const producer = await producerThatCannotQueue();
      try {
        const submitted = await producer
          .submit({ collection, items: [{ url: server.url('/good-1.wav') }, { url: server.url('/good-2.wav') }] })
          .catch((error: unknown) => error);
        expect(submitted).toBeInstanceOf(AppError);
        expect((submitted as AppError).code).toBe('NOT_READY');
        const source = await producer.submitSource({ collection, source: 's3://some-bucket/prefix/' }).catch((error: unknown) => error);
        expect((source as AppError).code).toBe('NOT_READY');
      } finally {
        await producer.close();
      }
      expect(await batchKeysOf(collection)).toEqual([]);
    }, 60_000);

    it('when even the removal fails, the record expires by itself (and a completed accept keeps its record)', async () => {
      const collection = uniqueName('half-accept-nodel');
      const producer = await producerThatCannotQueue(['-del', '-unlink']);
      try {
        const submitted = await producer.submit({ collection, items: [{ url: server.url('/good-1.wav') }] }).catch((error: unknown) => error);
        expect((submitted as AppError).code).toBe('NOT_READY');
      } finally {
        await producer.close();
      }
      const left = await batchKeysOf(collection);
      expect(left).toHaveLength(1);
      const ttl = await admin().ttl(left[0]!);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(600);
      // A full accept (the API's) keeps its record for good.
      const accepted = await system.call<{ batchId: string }>('POST', '/v1/ingest', { body: { collection, items: [{ url: server.url('/good-2.wav') }] } });
      expect(accepted.status).toBe(202);
      expect(await admin().ttl(system.keys.batch(collection, accepted.body.batchId))).toBe(-1);
      expect(await admin().ttl(system.keys.batchCollection(accepted.body.batchId))).toBe(-1);
    }, 60_000);
  });
});
