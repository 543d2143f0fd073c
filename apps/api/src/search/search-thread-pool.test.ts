import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SearchThreadPool } from './search-thread-pool.ts';
import type { TopKLists } from './top-k-merge.ts';
import { sharedRows } from './testing/shared-rows.ts';

const DIM = 64;

const rowsOf = (count: number, seed: number) => sharedRows(count, DIM, seed);

describe('SearchThreadPool batching of concurrent queries (real threads, real Faiss addon)', () => {
  let pool: SearchThreadPool;
  const rows = 400_000; // 400k x 64: above the split threshold, so every call uses both threads
  const queries = rowsOf(64, 99);

  beforeAll(async () => {
    pool = await SearchThreadPool.start(2, { blasDatabaseBlock: 32_768, blasQueryBlock: 0 });
    pool.addShard('s', DIM, rowsOf(rows, 7));
    pool.addView('v', [{ shardKey: 's', excluded: null }]);
  });
  afterAll(async () => pool?.close());

  const query = (index: number) => queries.slice(index * DIM, (index + 1) * DIM);

  it('answers 64 concurrent queries in fewer engine calls, each exactly as when asked alone', async () => {
    const alone: TopKLists[] = [];
    for (let index = 0; index < 64; index += 1) alone.push(await pool.search('v', rows, DIM, query(index), 10));
    const before = pool.batchingStats();
    // Different k per client: a batch runs with the largest and cuts each answer back to its own.
    const together = await Promise.all(Array.from({ length: 64 }, (_, index) => pool.search('v', rows, DIM, query(index), 5 + (index % 6))));
    const after = pool.batchingStats();
    expect(after.queries - before.queries).toBe(64);
    expect(after.calls - before.calls).toBeLessThan(8);
    expect(after.largestBatch).toBeGreaterThan(8);
    together.forEach((lists, index) => {
      const k = 5 + (index % 6);
      expect(lists.rows.length).toBe(k);
      expect(Array.from(lists.rows)).toEqual(Array.from(alone[index]!.rows.subarray(0, k)));
      // A batch goes through sgemm, a lone query through Faiss's direct scan: the same sums, rounded differently.
      lists.scores.forEach((score, rank) => expect(score).toBeCloseTo(alone[index]!.scores[rank]!, 5));
    });
  });

  it('sends a lone query at once, in a call of its own', async () => {
    const before = pool.batchingStats();
    await pool.search('v', rows, DIM, query(3), 10);
    expect(pool.batchingStats().calls - before.calls).toBe(1);
  });

  it('keeps views apart: queries of two views are never answered from each other', async () => {
    pool.addShard('t', DIM, rowsOf(1000, 5));
    pool.addView('w', [{ shardKey: 't', excluded: null }]);
    const [inV, inW] = await Promise.all([pool.search('v', rows, DIM, query(1), 3), pool.search('w', 1000, DIM, query(1), 3)]);
    expect(Math.max(...inW.rows)).toBeLessThan(1000);
    expect(Array.from(inV.rows)).not.toEqual(Array.from(inW.rows));
  });
});
