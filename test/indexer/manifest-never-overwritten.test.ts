import { afterAll, describe, expect, it } from 'vitest';
import { BatchLedger, snapshotLayout } from '@audio-index/shared';
import { closeAll, connectTestRedis } from '../harness/test-services.ts';
import { IndexerProcess } from './support/indexer-process.ts';
import { createIndexerTestSetup, feedVectors, readVisibleRows } from './support/indexer-test-setup.ts';
import { waitFor } from './support/wait-for.ts';

const DIM = 8;

/**
 * Issue 11, item 11: a Redis that lost its last writes (AOF `everysec`: up to a second)
 * hands out version numbers again whose manifests are already in the store. The indexer must
 * move past them instead of overwriting an immutable manifest an API may be serving.
 */
describe('versions never overwrite a manifest, even after Redis forgot them (indexer process, real Redis and S3)', () => {
  const processes: IndexerProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((indexer) => indexer.kill()));
    await closeAll();
  });

  it('publishes past manifests that Redis no longer knows of', { timeout: 60_000 }, async () => {
    const setup = await createIndexerTestSetup({ PUBLISH_INTERVAL_MS: '100' });
    const redis = connectTestRedis();
    const { collection, keys, store } = setup;
    await new BatchLedger(redis, keys).createBatch(collection, 'b', 6);
    const first = new IndexerProcess(setup.env);
    processes.push(first);
    for (const round of [0, 1, 2]) {
      await feedVectors(redis, setup, 'b', [`a${round}`, `b${round}`], { dim: DIM });
      await waitFor(
        async () => Number(await redis.hget(keys.batch(collection, 'b'), 'indexed')) === 2 * (round + 1),
        30_000,
        () => first.output(),
      );
    }
    await first.kill('SIGKILL');
    const committed = Number(await redis.get(keys.snapshotCommitted(collection)));
    expect(committed).toBeGreaterThanOrEqual(3);
    const before = new Map<number, string>();
    for (let version = 1; version <= committed; version += 1) {
      const body = await store.get(snapshotLayout.manifest(collection, version));
      if (body) before.set(version, body.toString('utf8'));
    }

    // What Redis looks like after losing the last commits: version 1 committed, the counter back at 1.
    await redis.set(keys.snapshotCommitted(collection), 1);
    await redis.set(keys.snapshotVersionCounter(collection), 1);
    await redis.zremrangebyscore(keys.snapshotVersions(collection), 2, '+inf');

    const second = new IndexerProcess(setup.env);
    processes.push(second);
    await feedVectors(redis, setup, 'b', ['late'], { dim: DIM });
    await waitFor(
      async () => Number(await redis.get(keys.snapshotCommitted(collection))) > committed,
      30_000,
      () => second.output(),
    );
    for (const [version, body] of before) {
      expect((await store.get(snapshotLayout.manifest(collection, version)))?.toString('utf8'), `manifest ${version} rewritten`).toBe(body);
    }
    const served = await readVisibleRows(store, collection);
    expect(served!.version).toBeGreaterThan(committed);
    expect(served!.rows.map((row) => row.id)).toContain('late');
  });
});
