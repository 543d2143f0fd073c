import { Queue, type Job } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { AppError, BatchLedger, CollectionCommands, jobCatalog, readLatestManifest, type IngestItemPayload, type Manifest } from '@audio-index/shared';
import { closeAll, connectTestRedis } from '../harness/test-services.ts';
import { IndexerProcess } from './support/indexer-process.ts';
import { createIndexerTestSetup, feedVectors, readVisibleRows, vectorFor, type IndexerTestSetup } from './support/indexer-test-setup.ts';
import { waitFor } from './support/wait-for.ts';

const DIM = 16;
const NEW_DIM = 8;
const NEW_MODEL = { id: 'second-model', dim: NEW_DIM };
const NEW_MODEL_REF = '/models/second';

type ReindexJobData = IngestItemPayload & { generation?: number; model?: string };

/**
 * The indexer's side of a reindex, with this test playing the worker: it takes the re-embed
 * jobs the indexer queued and appends "re-embedded" vectors (or failures) as a worker would.
 */
describe('reindex into a new generation (real indexer process)', () => {
  const processes: IndexerProcess[] = [];
  const queues: Queue[] = [];
  afterAll(async () => {
    await Promise.all(queues.map((queue) => queue.close()));
    await Promise.all(processes.map((indexer) => indexer.kill()));
    await closeAll();
  });

  const output = () => processes.map((indexer) => indexer.output()).join('\n');

  async function latest(setup: IndexerTestSetup): Promise<Manifest> {
    return (await readLatestManifest(setup.store, setup.collection))!;
  }

  it('builds the generation aside, keeps serving the old one across a crash, then swaps it in with every id once', { timeout: 90_000 }, async () => {
    const setup = await createIndexerTestSetup({ LOG_LEVEL: 'info' });
    const redis = connectTestRedis();
    const ledger = new BatchLedger(redis, setup.keys);
    const commands = new CollectionCommands(redis, setup.keys);
    const queue = new Queue(jobCatalog.ingestItem.queue, { connection: redis, prefix: setup.keys.queuePrefix });
    queues.push(queue);
    processes.push(new IndexerProcess(setup.env));

    const ids = Array.from({ length: 20 }, (_, index) => `id-${index}`);
    await ledger.createBatch(setup.collection, 'first', 21);
    await feedVectors(redis, setup, 'first', ids, { dim: DIM });
    // An imported vector without a URL: nothing to re-embed it from.
    await ledger.recordEmbedded(setup.collection, 'job-no-url', {
      op: 'upsert',
      id: 'no-url',
      modelId: 'test-model',
      vectors: vectorFor('no-url', DIM),
      dim: DIM,
      batchId: 'first',
    });
    await waitFor(async () => (await redis.hget(setup.keys.batch(setup.collection, 'first'), 'indexed')) === '21', 20_000, output);

    const { reindexId } = await commands.requestReindex(setup.collection, { mode: 'all', model: NEW_MODEL_REF }, NEW_MODEL);
    await expect(commands.requestReindex(setup.collection, { mode: 'all' })).rejects.toSatisfy(
      (error) => error instanceof AppError && error.code === 'REINDEX_IN_PROGRESS',
    );

    // The indexer plans: one job per item with a URL, tagged with generation 2 and the model.
    let jobs: Job<ReindexJobData>[] = [];
    await waitFor(async () => (jobs = (await queue.getJobs(['waiting', 'prioritized'])) as Job<ReindexJobData>[]).length === 20, 20_000, output);
    expect(jobs.map((job) => job.data.itemId).sort()).toEqual([...ids].sort());
    for (const job of jobs) expect(job.data).toMatchObject({ batchId: reindexId, generation: 2, model: NEW_MODEL_REF, collection: setup.collection });
    await waitFor(async () => (await latest(setup)).next !== undefined, 20_000, output);
    expect(await ledger.status(reindexId)).toMatchObject({
      total: 21,
      failed: 1,
      state: 'running',
      failures: [expect.objectContaining({ id: 'no-url', code: 'NO_SOURCE_URL' })],
    });

    // Changes while it builds: a new item, a deleted one.
    await ledger.createBatch(setup.collection, 'late', 1);
    await feedVectors(redis, setup, 'late', ['late-1'], { dim: DIM });
    await commands.deleteItem(setup.collection, 'id-0');
    await waitFor(async () => (await queue.getJobs(['waiting', 'prioritized'])).length === 21, 20_000, output);

    const reembed = async (job: Job<ReindexJobData>) =>
      ledger.recordEmbedded(setup.collection, job.id!, {
        op: 'upsert',
        id: job.data.itemId,
        url: job.data.url,
        metadata: job.data.metadata,
        modelId: NEW_MODEL.id,
        vectors: vectorFor(job.data.itemId, NEW_DIM),
        dim: NEW_DIM,
        batchId: job.data.batchId,
        generation: job.data.generation,
      });
    const all = (await queue.getJobs(['waiting', 'prioritized'])) as Job<ReindexJobData>[];
    const [first, rest] = [all.slice(0, 10), all.slice(10)];
    for (const job of first) await reembed(job);
    await waitFor(async () => ((await latest(setup)).next?.shards.length ?? 0) > 0, 20_000, output);
    // Half re-embedded: searches still see generation 1, with its model and every item.
    const building = await latest(setup);
    expect(building).toMatchObject({ generation: 1, model: { id: 'test-model', dim: DIM }, count: 21 });
    expect(building.next).toMatchObject({ reindexId, generation: 2, model: NEW_MODEL, modelRef: NEW_MODEL_REF });
    expect((await readVisibleRows(setup.store, setup.collection))!.rows.every((row) => row.vector.length === DIM)).toBe(true);

    // A crash mid-build: the next leader finds the build in the manifest and carries on.
    await processes[0]!.kill('SIGKILL');
    processes.push(new IndexerProcess(setup.env));

    const failing = rest.find((job) => job.data.itemId !== 'late-1' && job.data.itemId !== 'id-0')!;
    await ledger.recordFailure(setup.collection, reindexId, failing.id!, {
      id: failing.data.itemId,
      url: failing.data.url,
      code: 'FETCH_NOT_FOUND',
      message: 'gone',
      attempts: 1,
    });
    for (const job of rest) if (job !== failing) await reembed(job);

    await waitFor(async () => (await latest(setup)).generation === 2, 30_000, output);
    const swapped = await latest(setup);
    expect(swapped.model).toEqual(NEW_MODEL);
    expect(swapped.modelRef).toBe(NEW_MODEL_REF);
    expect(swapped.next).toBeUndefined();
    const rows = (await readVisibleRows(setup.store, setup.collection))!.rows;
    const expected = [...ids.filter((id) => id !== 'id-0' && id !== failing.data.itemId), 'late-1'].sort();
    expect(rows.map((row) => row.id).sort()).toEqual(expected); // each exactly once
    for (const row of rows) expect(Array.from(row.vector)).toEqual(Array.from(vectorFor(row.id, NEW_DIM)));
    await waitFor(async () => (await ledger.status(reindexId))?.state === 'done', 10_000, output);
    expect(await ledger.status(reindexId)).toMatchObject({ total: 22, failed: 2, indexed: 20 });
    expect(await redis.get(setup.keys.reindexActive(setup.collection))).toBeNull();
    expect(JSON.parse((await redis.get(setup.keys.collectionModel(setup.collection)))!)).toEqual({ id: NEW_MODEL.id, ref: NEW_MODEL_REF });

    // The guard now holds the new model. A vector of the replaced model (embedded before the
    // workers saw the change) is queued to be embedded again with the new one; a vector of
    // any other model is refused.
    await ledger.createBatch(setup.collection, 'after', 3);
    await feedVectors(redis, setup, 'after', ['old-model-item'], { dim: DIM });
    await feedVectors(redis, setup, 'after', ['new-model-item'], { dim: NEW_DIM, modelId: NEW_MODEL.id });
    await feedVectors(redis, setup, 'after', ['third-model-item'], { dim: NEW_DIM, modelId: 'third-model' });
    let requeued: Job<ReindexJobData> | undefined;
    await waitFor(
      async () =>
        (requeued = ((await queue.getJobs(['waiting', 'prioritized'])) as Job<ReindexJobData>[]).find((job) => job.data.batchId === 'after')) !== undefined,
      20_000,
      output,
    );
    expect(requeued!.data).toMatchObject({ itemId: 'old-model-item', model: NEW_MODEL_REF });
    expect(requeued!.data.generation).toBeUndefined();
    await ledger.recordEmbedded(setup.collection, requeued!.id!, {
      op: 'upsert',
      id: 'old-model-item',
      url: requeued!.data.url,
      modelId: NEW_MODEL.id,
      vectors: vectorFor('old-model-item', NEW_DIM),
      dim: NEW_DIM,
      batchId: 'after',
    });
    await waitFor(async () => (await ledger.status('after'))?.state === 'done', 20_000, output);
    expect(await ledger.status('after')).toMatchObject({
      indexed: 2,
      failed: 1,
      failures: [expect.objectContaining({ id: 'third-model-item', code: 'MODEL_MISMATCH' })],
    });

    // "missing" for the model the collection already has: nothing to do, no new generation.
    const missing = await commands.requestReindex(setup.collection, { mode: 'missing', model: NEW_MODEL_REF }, NEW_MODEL);
    await waitFor(async () => (await ledger.status(missing.reindexId))?.state === 'done', 20_000, output);
    expect(await ledger.status(missing.reindexId)).toMatchObject({ total: 0, failed: 0 });
    expect((await latest(setup)).generation).toBe(2);
    expect(await redis.get(setup.keys.reindexActive(setup.collection))).toBeNull();
    await queue.obliterate({ force: true });
  });

  it('abandons the build when a rollback replaces what it re-embeds, and drops its stragglers', { timeout: 60_000 }, async () => {
    const setup = await createIndexerTestSetup();
    const redis = connectTestRedis();
    const ledger = new BatchLedger(redis, setup.keys);
    const commands = new CollectionCommands(redis, setup.keys);
    const queue = new Queue(jobCatalog.ingestItem.queue, { connection: redis, prefix: setup.keys.queuePrefix });
    queues.push(queue);
    processes.push(new IndexerProcess(setup.env));
    await ledger.createBatch(setup.collection, 'first', 5);
    await feedVectors(redis, setup, 'first', ['a', 'b', 'c', 'd', 'e'], { dim: DIM });
    await waitFor(async () => (await readLatestManifest(setup.store, setup.collection))?.count === 5, 20_000, output);
    const version = (await latest(setup)).version;

    const { reindexId } = await commands.requestReindex(setup.collection, { mode: 'all' });
    await waitFor(async () => (await queue.getJobs(['waiting', 'prioritized'])).length === 5, 20_000, output);
    await commands.activateVersion(setup.collection, version);
    await waitFor(async () => (await ledger.status(reindexId))?.state === 'done', 20_000, output);
    const status = (await ledger.status(reindexId))!;
    expect(status.failures).toEqual([expect.objectContaining({ code: 'REINDEX_ABANDONED' })]);
    expect(await redis.get(setup.keys.reindexActive(setup.collection))).toBeNull();

    // A straggler of the abandoned build changes nothing.
    const [job] = (await queue.getJobs(['waiting', 'prioritized'])) as Job<ReindexJobData>[];
    await ledger.recordEmbedded(setup.collection, job!.id!, {
      op: 'upsert',
      id: job!.data.itemId,
      url: job!.data.url,
      modelId: 'test-model',
      vectors: vectorFor('x', DIM),
      dim: DIM,
      batchId: reindexId,
      generation: 2,
    });
    await ledger.createBatch(setup.collection, 'marker', 1);
    await feedVectors(redis, setup, 'marker', ['f'], { dim: DIM });
    await waitFor(async () => (await readLatestManifest(setup.store, setup.collection))?.count === 6, 20_000, output);
    const manifest = await latest(setup);
    expect(manifest).toMatchObject({ generation: 1, count: 6 });
    expect(manifest.next).toBeUndefined();
    const rows = (await readVisibleRows(setup.store, setup.collection))!.rows;
    expect(Array.from(rows.find((row) => row.id === job!.data.itemId)!.vector)).toEqual(Array.from(vectorFor(job!.data.itemId, DIM)));
    await queue.obliterate({ force: true });
  });

  it('starts reindexes from REINDEX_CRON through the BullMQ job scheduler, and refuses a bad expression', { timeout: 60_000 }, async () => {
    const bad = await createIndexerTestSetup({ REINDEX_CRON: 'every tuesday' });
    const refused = new IndexerProcess(bad.env);
    processes.push(refused);
    await waitFor(async () => !refused.running, 20_000, refused.output);
    expect(refused.output()).toContain('REINDEX_CRON');

    const setup = await createIndexerTestSetup();
    const redis = connectTestRedis();
    const ledger = new BatchLedger(redis, setup.keys);
    const queue = new Queue(jobCatalog.ingestItem.queue, { connection: redis, prefix: setup.keys.queuePrefix });
    queues.push(queue);
    await ledger.createBatch(setup.collection, 'first', 3);
    await feedVectors(redis, setup, 'first', ['a', 'b', 'c'], { dim: DIM });
    processes.push(new IndexerProcess({ ...setup.env, REINDEX_CRON: '* * * * * *', REINDEX_CRON_MODE: 'all', REINDEX_CRON_COLLECTIONS: setup.collection }));
    let reindexId: string | null = null;
    await waitFor(async () => (reindexId = await redis.get(setup.keys.reindexActive(setup.collection))) !== null, 20_000, output);
    await waitFor(async () => (await queue.getJobs(['waiting', 'prioritized'])).length === 3, 20_000, output);
    const jobs = (await queue.getJobs(['waiting', 'prioritized'])) as Job<ReindexJobData>[];
    expect(jobs.every((job) => job.data.batchId === reindexId && job.data.generation === 2)).toBe(true);
    // Later ticks find the reindex running and start no other.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    expect(await redis.get(setup.keys.reindexActive(setup.collection))).toBe(reindexId);
    expect(await queue.getJobs(['waiting', 'prioritized'])).toHaveLength(3);
    await processes.at(-1)!.kill();
    await queue.obliterate({ force: true });
  });
});
