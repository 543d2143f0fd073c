import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SearchThreadPool } from '../../apps/api/src/search/search-thread-pool.ts';
import type { TopKLists } from '../../apps/api/src/search/top-k-merge.ts';
import { sharedRows } from '../../apps/api/src/search/testing/shared-rows.ts';

const DIM = 32;

const rowsOf = (count: number, seed: number) => sharedRows(count, DIM, seed);

const summary = (lists: TopKLists) => ({
  parts: Array.from(lists.parts),
  rows: Array.from(lists.rows),
  scores: Array.from(lists.scores, (score) => Number(score.toFixed(5))),
});

async function waitUntil(condition: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * Issue 11, item 15 (search threads): a search thread that exits is replaced by one holding
 * the same shards and views; only searches that were on the dead thread fail (NOT_READY,
 * retryable), and every answer afterwards is the one given before. Real worker threads and
 * the real Faiss addon; the thread is ended with `worker.terminate()` as a crash would end it.
 */
describe('a search thread that exits is replaced (real threads, real addon)', () => {
  let pool: SearchThreadPool;
  // 300k x 32 = 9.6M floats: above the split threshold, so a search uses both threads.
  const bigRows = 300_000;
  const smallRows = 2_000;
  const queries = rowsOf(16, 99);
  const query = (index: number) => queries.slice(index * DIM, (index + 1) * DIM);

  beforeAll(async () => {
    pool = await SearchThreadPool.start(2, { blasDatabaseBlock: 32_768, blasQueryBlock: 0 });
    pool.addShard('big-a', DIM, rowsOf(bigRows / 2, 7));
    pool.addShard('big-b', DIM, rowsOf(bigRows / 2, 8));
    pool.addView('big', [
      { shardKey: 'big-a', excluded: null },
      { shardKey: 'big-b', excluded: null },
    ]);
    pool.addShard('small', DIM, rowsOf(smallRows, 5));
    // A dropped shard and view must not come back in a replacement.
    pool.addShard('gone', DIM, rowsOf(10, 3));
    pool.addView('gone-view', [{ shardKey: 'gone', excluded: null }]);
    pool.dropView('gone-view');
    pool.dropShard('gone');
    const hidden = new Uint8Array(new SharedArrayBuffer(Math.ceil(smallRows / 8))).fill(0x55); // every other row tombstoned
    pool.addView('small', [{ shardKey: 'small', excluded: hidden }]);
  }, 60_000);
  afterAll(async () => pool?.close());

  async function answers(): Promise<unknown[]> {
    const out: unknown[] = [];
    for (let index = 0; index < 8; index += 1) {
      out.push(summary(await pool.search('big', bigRows, DIM, query(index), 5)));
      out.push(summary(await pool.search('small', smallRows, DIM, query(index + 8), 5)));
    }
    return out;
  }

  it('keeps answering with the same results after a thread, then both, are terminated', { timeout: 120_000 }, async () => {
    const before = await answers();

    // Searches in flight while thread 0 ends: each either answers exactly as before or fails
    // NOT_READY (it was on that thread); none hangs, none answers something else.
    const inFlight = Array.from({ length: 24 }, (_, index) =>
      pool.search('small', smallRows, DIM, query(8 + (index % 8)), 5).then(
        (lists) => ({ index, answer: summary(lists) }),
        (error: { code?: string }) => ({ index, code: error.code }),
      ),
    );
    await pool.terminateThreadForTest(0);
    const settled = await Promise.all(inFlight);
    for (const outcome of settled) {
      if ('code' in outcome) expect(outcome.code).toBe('NOT_READY');
      else expect(outcome.answer).toEqual(before[2 * (outcome.index % 8) + 1]);
    }
    await waitUntil(() => pool.respawns === 1 && pool.size === 2, 'thread 0 replaced');
    expect(await answers()).toEqual(before);

    // Both at once: searches fail NOT_READY until a replacement is in, then answer as before.
    await Promise.all([pool.terminateThreadForTest(0), pool.terminateThreadForTest(1)]);
    await waitUntil(() => pool.respawns === 3 && pool.size === 2, 'both threads replaced');
    expect(await answers()).toEqual(before);
    // The dropped view stayed dropped in the replacements.
    await expect(pool.search('gone-view', 10, DIM, query(0), 1)).rejects.toThrow(/not loaded/);
  });
});
