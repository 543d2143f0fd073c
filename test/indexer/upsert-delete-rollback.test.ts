import { afterAll, describe, expect, it } from 'vitest';
import {
  BatchLedger,
  CollectionCommands,
  committedSnapshotVersions,
  compareStreamIds,
  readLatestManifest,
  readManifest,
  type Manifest,
} from '@audio-index/shared';
import { closeAll, connectTestRedis } from '../harness/test-services.ts';
import { IndexerProcess } from './support/indexer-process.ts';
import { createIndexerTestSetup, feedVectors, readVisibleRows, vectorFor, type IndexerTestSetup } from './support/indexer-test-setup.ts';
import { waitFor } from './support/wait-for.ts';

const DIM = 16;

describe('upserts, deletes and rollback through the stream (real processes)', () => {
  const processes: IndexerProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((indexer) => indexer.kill()));
    await closeAll();
  });

  async function waitForOffset(setup: IndexerTestSetup, entryId: string): Promise<Manifest> {
    let manifest: Manifest | undefined;
    await waitFor(
      async () => {
        manifest = await readLatestManifest(setup.store, setup.collection);
        return manifest !== undefined && compareStreamIds(manifest.streamOffset, entryId) >= 0;
      },
      20_000,
      () => processes.map((indexer) => indexer.output()).join('\n'),
    );
    return manifest!;
  }

  it('shows a re-ingested id once with its new vector, never a deleted id, and rolls back', { timeout: 60_000 }, async () => {
    // No merges: this test is about tombstones in place.
    const setup = await createIndexerTestSetup({ COMPACTION_FAN_IN: '64', COMPACTION_MAX_TOMBSTONE_RATIO: '1' });
    const redis = connectTestRedis();
    const ledger = new BatchLedger(redis, setup.keys);
    const commands = new CollectionCommands(redis, setup.keys);
    const ids = Array.from({ length: 50 }, (_, index) => `id-${index}`);
    processes.push(new IndexerProcess(setup.env));

    await ledger.createBatch(setup.collection, 'first', 50);
    await feedVectors(redis, setup, 'first', ids, { dim: DIM });
    await waitFor(async () => (await redis.hget(setup.keys.batch(setup.collection, 'first'), 'indexed')) === '50', 20_000);
    const before = (await readLatestManifest(setup.store, setup.collection))!;

    await ledger.createBatch(setup.collection, 'again', 10);
    await feedVectors(redis, setup, 'again', ids.slice(0, 10), { dim: DIM, revision: 1 });
    let lastDelete = '';
    for (const id of ids.slice(10, 15)) lastDelete = await commands.deleteItem(setup.collection, id);
    const changed = await waitForOffset(setup, lastDelete);
    expect(changed.count).toBe(45);
    expect(await redis.hget(setup.keys.batch(setup.collection, 'again'), 'indexed')).toBe('10');

    const rows = (await readVisibleRows(setup.store, setup.collection))!.rows;
    const byId = new Map(rows.map((row) => [row.id, row]));
    expect(rows).toHaveLength(45);
    expect(byId.size).toBe(45);
    for (const id of ids.slice(0, 10)) expect(Array.from(byId.get(id)!.vector)).toEqual(Array.from(vectorFor(id, DIM, 1)));
    for (const id of ids.slice(10, 15)) expect(byId.has(id)).toBe(false);
    for (const id of ids.slice(15)) expect(Array.from(byId.get(id)!.vector)).toEqual(Array.from(vectorFor(id, DIM, 0)));

    const activation = await commands.activateVersion(setup.collection, before.version);
    const rolledBack = await waitForOffset(setup, activation);
    expect(rolledBack.version).toBeGreaterThan(changed.version);
    expect(rolledBack.shards).toEqual(before.shards);
    expect(rolledBack.count).toBe(50);
    const restored = (await readVisibleRows(setup.store, setup.collection))!.rows;
    expect(restored.map((row) => row.id).sort()).toEqual([...ids].sort());
    expect(Array.from(restored.find((row) => row.id === 'id-3')!.vector)).toEqual(Array.from(vectorFor('id-3', DIM, 0)));

    // A restarted indexer does not replay what the rollback skipped over, and versions only grow.
    await processes[0]!.kill('SIGKILL');
    processes.push(new IndexerProcess(setup.env));
    const extra = await commands.deleteItem(setup.collection, 'id-49');
    const after = await waitForOffset(setup, extra);
    expect(after.version).toBeGreaterThan(rolledBack.version);
    expect(after.count).toBe(49);
    expect((await readManifest(setup.store, setup.collection, changed.version)).count).toBe(45);
    expect(await redis.xlen(setup.keys.stream(setup.collection))).toBe(0);
    expect(await committedSnapshotVersions(redis, setup.keys, setup.collection)).toEqual(
      expect.arrayContaining([before.version, changed.version, rolledBack.version, after.version]),
    );
  });
});
