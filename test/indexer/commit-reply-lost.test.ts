import { afterAll, describe, expect, it } from 'vitest';
import { BatchLedger } from '@audio-index/shared';
import { closeAll, connectTestRedis, testServiceEnv } from '../harness/test-services.ts';
import { IndexerProcess } from './support/indexer-process.ts';
import { ReplyDroppingProxy } from './support/reply-dropping-proxy.ts';
import { createIndexerTestSetup, feedVectors, readVisibleRows } from './support/indexer-test-setup.ts';
import { waitFor } from './support/wait-for.ts';

const DIM = 8;
const ROUNDS = 4;
const PER_ROUND = 10;

/**
 * Issue 11, item 3: a commit whose reply is lost. The commit script runs in Redis, the
 * connection drops before its answer arrives, ioredis re-sends it on the new connection. Each
 * commit must count its batch credits exactly once however often it reaches Redis.
 */
describe('a commit whose reply is lost counts once (real Redis behind a TCP proxy, indexer process)', () => {
  const processes: IndexerProcess[] = [];
  let proxy: ReplyDroppingProxy | undefined;
  afterAll(async () => {
    await Promise.all(processes.map((indexer) => indexer.kill()));
    await proxy?.close();
    await closeAll();
  });

  it(`keeps indexed and failed exact across ${ROUNDS} lost commit replies`, { timeout: 90_000 }, async () => {
    proxy = await ReplyDroppingProxy.start(testServiceEnv().REDIS_URL);
    const setup = await createIndexerTestSetup({ REDIS_URL: proxy.url, PUBLISH_INTERVAL_MS: '200' });
    const redis = connectTestRedis();
    const batchId = 'lost-reply';
    const total = (ROUNDS + 1) * PER_ROUND + 1;
    await new BatchLedger(redis, setup.keys).createBatch(setup.collection, batchId, total);
    const batchKey = setup.keys.batch(setup.collection, batchId);
    const indexer = new IndexerProcess(setup.env);
    processes.push(indexer);
    const indexed = async () => Number((await redis.hget(batchKey, 'indexed')) ?? 0);

    // A first commit outside the experiment: it also makes Redis cache the script, so the
    // lost replies below are of commits that ran, not of a NOSCRIPT answer.
    await feedVectors(redis, setup, batchId, ids(0), { dim: DIM });
    await waitFor(
      async () => (await indexed()) === PER_ROUND,
      30_000,
      () => indexer.output(),
    );

    for (let round = 1; round <= ROUNDS; round += 1) {
      const droppedBefore = proxy.dropped;
      // The reindex-active key is named only by the commit script's call, so this loses exactly the commit's reply.
      proxy.arm(setup.keys.reindexActive(setup.collection));
      await feedVectors(redis, setup, batchId, ids(round), { dim: DIM });
      if (round === ROUNDS) {
        // A vector of another model: the commit records a MODEL_MISMATCH failure, which must count once too.
        await feedVectors(redis, setup, batchId, ['other-model'], { dim: DIM + 1, modelId: 'other' });
      }
      await waitFor(
        async () => proxy!.dropped > droppedBefore,
        30_000,
        () => indexer.output(),
      );
      await waitFor(
        async () => (await indexed()) >= (round + 1) * PER_ROUND,
        30_000,
        () => indexer.output(),
      );
    }
    // Whatever a double commit would add arrives within a publish or two of the retry.
    await new Promise((resolve) => setTimeout(resolve, 3000));

    expect(proxy.dropped).toBe(ROUNDS);
    expect(await redis.hgetall(batchKey)).toMatchObject({ total: String(total), indexed: String(total - 1), failed: '1' });
    expect(await redis.llen(setup.keys.batchFailures(setup.collection, batchId))).toBe(1);
    const snapshot = await readVisibleRows(setup.store, setup.collection);
    const visible = snapshot!.rows.map((row) => row.id);
    expect(new Set(visible).size).toBe(visible.length);
    expect(visible).toHaveLength(total - 1);
    expect(await redis.xlen(setup.keys.stream(setup.collection))).toBe(0);
    expect(indexer.running, indexer.output()).toBe(true);
  });
});

function ids(round: number): string[] {
  return Array.from({ length: PER_ROUND }, (_, index) => `r${round}-item-${index}`);
}
