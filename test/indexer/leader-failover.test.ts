import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchLedger, manifestSchema, snapshotLayout } from '@audio-index/shared';
import { closeAll, connectTestRedis } from '../harness/test-services.ts';
import { IndexerProcess } from './support/indexer-process.ts';
import { createIndexerTestSetup, feedVectors, readVisibleRows } from './support/indexer-test-setup.ts';
import { waitFor } from './support/wait-for.ts';

const DIM = 16;

describe('two indexers for one collection (real processes)', () => {
  const processes: IndexerProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((indexer) => indexer.kill()));
    await closeAll();
  });

  it('exactly one publishes; when it is killed the other takes over', { timeout: 90_000 }, async () => {
    const setup = await createIndexerTestSetup({ LOG_LEVEL: 'info' });
    const redis = connectTestRedis();
    const batchKey = setup.keys.batch(setup.collection, 'b');
    const indexed = async () => Number(await redis.hget(batchKey, 'indexed'));
    await new BatchLedger(redis, setup.keys).createBatch(setup.collection, 'b', 400);
    const ids = Array.from({ length: 400 }, (_, index) => `id-${index}`);

    const pair = [new IndexerProcess(setup.env), new IndexerProcess(setup.env)];
    processes.push(...pair);
    const output = () => pair.map((indexer) => indexer.output()).join('\n----\n');
    for (let round = 0; round < 10; round += 1) {
      await feedVectors(redis, setup, 'b', ids.slice(round * 20, round * 20 + 20), { dim: DIM });
      await sleep(150);
    }
    await waitFor(async () => (await indexed()) >= 200, 30_000, output);
    expect(pair.filter((indexer) => indexer.becameLeader)).toHaveLength(1);
    const leader = pair.find((indexer) => indexer.becameLeader)!;
    const standby = pair.find((indexer) => !indexer.becameLeader)!;

    await leader.kill('SIGKILL');
    await feedVectors(redis, setup, 'b', ids.slice(200), { dim: DIM });
    // The lease is 1 s: the standby must lead and publish the rest within a few seconds.
    await waitFor(async () => standby.becameLeader && (await indexed()) >= 400, 15_000, output);

    const final = await readVisibleRows(setup.store, setup.collection);
    expect(final!.rows.map((row) => row.id).sort()).toEqual([...ids].sort());
    // Each manifest names the fence of its writer: one leader, then the other, never interleaved.
    const fences: number[] = [];
    for await (const key of setup.store.list(snapshotLayout.manifestsPrefix(setup.collection))) {
      const manifest = manifestSchema.parse(JSON.parse((await setup.store.get(key))!.toString('utf8')));
      fences.push(manifest.leaderFence!);
    }
    expect(new Set(fences).size).toBe(2);
    expect(fences).toEqual([...fences].sort((a, b) => a - b));
  });
});
