import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchLedger, CollectionCommands, readLatestManifest, readManifest, snapshotLayout } from '@audio-index/shared';
import { closeAll, connectTestRedis } from '../harness/test-services.ts';
import { IndexerProcess } from './support/indexer-process.ts';
import { createIndexerTestSetup, feedVectors, readVisibleRows, vectorFor } from './support/indexer-test-setup.ts';
import { waitFor } from './support/wait-for.ts';

const DIM = 16;
const ROUNDS = 16;
const PER_ROUND = 10;

describe('compaction and retention (real processes)', () => {
  const processes: IndexerProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((indexer) => indexer.kill()));
    await closeAll();
  });

  it('merges small shards, drops tombstoned rows, and deletes only what no kept version needs', { timeout: 90_000 }, async () => {
    const setup = await createIndexerTestSetup({
      COMPACTION_FAN_IN: '4',
      COMPACTION_MAX_TOMBSTONE_RATIO: '0.3',
      RETENTION_VERSIONS: '3',
      RETENTION_GRACE_MS: '1500',
      RETENTION_INTERVAL_MS: '300',
    });
    const redis = connectTestRedis();
    const ledger = new BatchLedger(redis, setup.keys);
    const commands = new CollectionCommands(redis, setup.keys);
    const indexer = new IndexerProcess(setup.env);
    processes.push(indexer);
    const expected = new Map<string, number>(); // id -> revision

    // One shard per round; every round also replaces one older id and deletes another.
    for (let round = 0; round < ROUNDS; round += 1) {
      const ids = Array.from({ length: PER_ROUND }, (_, index) => `r${round}-${index}`);
      const batchId = `round-${round}`;
      await ledger.createBatch(setup.collection, batchId, ids.length + (round > 0 ? 1 : 0));
      await feedVectors(redis, setup, batchId, ids, { dim: DIM });
      for (const id of ids) expected.set(id, 0);
      if (round > 0) {
        await feedVectors(redis, setup, batchId, [`r${round - 1}-0`], { dim: DIM, revision: round });
        expected.set(`r${round - 1}-0`, round);
        await commands.deleteItem(setup.collection, `r${round - 1}-1`);
        expected.delete(`r${round - 1}-1`);
      }
      await waitFor(
        async () => (await redis.hget(setup.keys.batch(setup.collection, batchId), 'indexed')) === String(ids.length + (round > 0 ? 1 : 0)),
        20_000,
        () => indexer.output(),
      );
    }
    // Let the last merges and the retention grace pass with no new input.
    await waitFor(
      async () => {
        const manifest = await readLatestManifest(setup.store, setup.collection);
        return manifest !== undefined && manifest.count === expected.size && manifest.shards.length <= 6;
      },
      30_000,
      () => indexer.output(),
    );
    await sleep(3500);

    const latest = (await readLatestManifest(setup.store, setup.collection))!;
    expect(latest.shards.length).toBeLessThan(ROUNDS);
    expect(latest.shards.some((shard) => shard.count > PER_ROUND + 1)).toBe(true);
    const rows = (await readVisibleRows(setup.store, setup.collection))!.rows;
    expect(rows).toHaveLength(expected.size);
    for (const row of rows) expect(Array.from(row.vector)).toEqual(Array.from(vectorFor(row.id, DIM, expected.get(row.id))));
    // Merged shards hold fewer rows than the shards they replaced: tombstoned rows were dropped.
    const storedRows = latest.shards.reduce((sum, shard) => sum + shard.count, 0);
    expect(storedRows).toBeLessThan(ROUNDS * PER_ROUND + ROUNDS - 1);

    // Retention: only the last 3 committed versions remain, and each still loads completely.
    const manifestKeys: string[] = [];
    for await (const key of setup.store.list(snapshotLayout.manifestsPrefix(setup.collection))) manifestKeys.push(key);
    expect(manifestKeys.length).toBeLessThanOrEqual(3);
    const referenced = new Set<string>();
    for (const key of manifestKeys) {
      const version = Number(key.split('/').at(-1)!.replace('.json', ''));
      for (const shard of (await readManifest(setup.store, setup.collection, version)).shards) {
        referenced.add(snapshotLayout.shardIndex(setup.collection, shard.id));
        referenced.add(snapshotLayout.shardIds(setup.collection, shard.id));
      }
    }
    const shardObjects: string[] = [];
    for await (const key of setup.store.list(`${setup.collection}/shards/`)) shardObjects.push(key);
    expect(new Set(shardObjects)).toEqual(referenced);
  });
});
