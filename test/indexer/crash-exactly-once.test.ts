import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchLedger } from '@audio-index/shared';
import { closeAll, connectTestRedis } from '../harness/test-services.ts';
import { IndexerProcess } from './support/indexer-process.ts';
import {
  createIndexerTestSetup,
  feedVectors,
  readVisibleRows,
  segmentSpan,
  segmentVectorFor,
  vectorFor,
  type VisibleRow,
} from './support/indexer-test-setup.ts';
import { waitFor } from './support/wait-for.ts';

const ITEMS = 2000;
const DIM = 16;
const KILLS = 12;
/** Every third item is a long recording of 2 to 13 segments (docs/segments.md); the rest are one row. */
const segmentsOf = (id: string) => {
  const index = Number(id.split('-')[1]);
  return index % 3 === 0 ? 2 + (index % 12) : undefined;
};

/** Rows by recording, each recording's rows in the order the shards hold them. */
function rowsByRecording(rows: readonly VisibleRow[]): Map<string, VisibleRow[]> {
  const byId = new Map<string, VisibleRow[]>();
  for (const row of rows) byId.set(row.id, [...(byId.get(row.id) ?? []), row]);
  return byId;
}

describe('indexer killed with SIGKILL at random moments (real processes)', () => {
  const processes: IndexerProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((indexer) => indexer.kill()));
    await closeAll();
  });

  it(
    `lands each of ${ITEMS} streamed items (a third of them multi-segment recordings) exactly once, all rows or none, across ${KILLS} kills`,
    { timeout: 150_000 },
    async () => {
      // Merges and retention run too, so kills also land in the middle of them.
      const setup = await createIndexerTestSetup({ COMPACTION_FAN_IN: '4', RETENTION_VERSIONS: '3', RETENTION_GRACE_MS: '2000', RETENTION_INTERVAL_MS: '300' });
      const redis = connectTestRedis();
      const batchId = 'crash-batch';
      await new BatchLedger(redis, setup.keys).createBatch(setup.collection, batchId, ITEMS);
      const ids = Array.from({ length: ITEMS }, (_, index) => `item-${index}`);

      // ~15 s of steady arrivals, so the kills land while entries are read, written and committed.
      const feeding = (async () => {
        for (let first = 0; first < ITEMS; first += 25) {
          await feedVectors(redis, setup, batchId, ids.slice(first, first + 25), { dim: DIM, segmentsOf });
          await sleep(180);
        }
      })();

      const versionsSeen = new Set<number>();
      for (let kill = 0; kill < KILLS; kill += 1) {
        const indexer = new IndexerProcess(setup.env);
        processes.push(indexer);
        // Kill while it leads: a random moment after it took the lock hits loading, reading,
        // writing shards, committing or pointing LATEST.
        const lockKey = setup.keys.indexerLock(setup.collection);
        const previousHolder = await redis.get(lockKey);
        await waitFor(
          async () => ![null, previousHolder].includes(await redis.get(lockKey)),
          20_000,
          () => indexer.output(),
        );
        await sleep(Math.random() * 1200);
        expect(indexer.running, indexer.output()).toBe(true);
        await indexer.kill('SIGKILL');
        const snapshot = await readVisibleRows(setup.store, setup.collection); // LATEST always loads
        if (snapshot) {
          versionsSeen.add(snapshot.version);
          // A recording shows all its rows or none, and never twice.
          for (const [id, rows] of rowsByRecording(snapshot.rows)) expect(rows.length, `rows of ${id}`).toBe(segmentsOf(id) ?? 1);
        }
      }
      await feeding;

      const survivor = new IndexerProcess(setup.env);
      processes.push(survivor);
      const batchKey = setup.keys.batch(setup.collection, batchId);
      await waitFor(
        async () => Number(await redis.hget(batchKey, 'indexed')) >= ITEMS,
        60_000,
        () => survivor.output(),
      );

      const final = await readVisibleRows(setup.store, setup.collection);
      expect(final).toBeDefined();
      const byRecording = rowsByRecording(final!.rows);
      expect(byRecording.size).toBe(ITEMS);
      expect(new Set(byRecording.keys())).toEqual(new Set(ids));
      const expectedRows = ids.reduce((sum, id) => sum + (segmentsOf(id) ?? 1), 0);
      expect(final!.rows).toHaveLength(expectedRows);
      for (const id of ids.slice(0, 60)) {
        const rows = byRecording.get(id)!;
        const segments = segmentsOf(id);
        if (segments === undefined) {
          expect(Array.from(rows[0]!.vector)).toEqual(Array.from(vectorFor(id, DIM)));
          continue;
        }
        // In time order, each with its own vector and stretch.
        rows.forEach((row, segment) => {
          expect({ start: row.start, end: row.end }).toEqual(segmentSpan(segment));
          expect(Array.from(row.vector)).toEqual(Array.from(segmentVectorFor(id, segment, DIM)));
        });
      }
      expect(await redis.hgetall(batchKey)).toMatchObject({ total: String(ITEMS), embedded: String(ITEMS), indexed: String(ITEMS), failed: '0' });
      // Every entry acked and removed: nothing left to replay, the stream is empty.
      expect(await redis.xlen(setup.keys.stream(setup.collection))).toBe(0);
      expect(versionsSeen.size).toBeGreaterThan(1);
      await survivor.kill('SIGTERM');
    },
  );
});
