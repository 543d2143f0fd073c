import { afterAll, describe, expect, it } from 'vitest';
import { BatchLedger, readLatestManifest } from '@audio-index/shared';
import { closeAll, connectTestRedis } from '../harness/test-services.ts';
import { IndexerProcess } from './support/indexer-process.ts';
import { createIndexerTestSetup, feedVectors, readVisibleRows } from './support/indexer-test-setup.ts';
import { waitFor } from './support/wait-for.ts';

describe('model guard (real processes)', () => {
  const processes: IndexerProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((indexer) => indexer.kill()));
    await closeAll();
  });

  it('rejects and counts vectors of another model or dimension, never mixing them in', { timeout: 60_000 }, async () => {
    const setup = await createIndexerTestSetup();
    const redis = connectTestRedis();
    const ledger = new BatchLedger(redis, setup.keys);
    processes.push(new IndexerProcess(setup.env));
    await ledger.createBatch(setup.collection, 'b', 12);
    await feedVectors(
      redis,
      setup,
      'b',
      Array.from({ length: 10 }, (_, index) => `ok-${index}`),
      { dim: 16 },
    );
    await feedVectors(redis, setup, 'b', ['other-model'], { dim: 16, modelId: 'another-model' });
    await feedVectors(redis, setup, 'b', ['other-dim'], { dim: 8 });

    const batchKey = setup.keys.batch(setup.collection, 'b');
    await waitFor(
      async () => (await redis.hget(batchKey, 'failed')) === '2' && (await redis.hget(batchKey, 'indexed')) === '10',
      20_000,
      () => processes[0]!.output(),
    );
    const failures = (await redis.lrange(setup.keys.batchFailures(setup.collection, 'b'), 0, -1)).map(
      (line) => JSON.parse(line) as { id: string; code: string; message: string },
    );
    expect(failures.map((failure) => [failure.id, failure.code]).sort()).toEqual([
      ['other-dim', 'MODEL_MISMATCH'],
      ['other-model', 'MODEL_MISMATCH'],
    ]);
    // The message says which models clash and the way out.
    for (const failure of failures)
      expect(failure.message).toMatch(/^collection holds test-model \(d=16\); got .*: reindex the collection to the workers' model/);
    const manifest = await readLatestManifest(setup.store, setup.collection);
    expect(manifest!.model).toEqual({ id: 'test-model', dim: 16 });
    const ids = (await readVisibleRows(setup.store, setup.collection))!.rows.map((row) => row.id);
    expect(ids.sort()).toEqual(Array.from({ length: 10 }, (_, index) => `ok-${index}`).sort());
  });
});
