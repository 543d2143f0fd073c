import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelCard } from '@audio-index/embedding';
import { snapshotLayout } from '@audio-index/shared';
import { ProcessSystem } from '../support/process-system.ts';
import { closeAll, createTestBucket, testServiceEnv, uniqueName } from '../harness/test-services.ts';

const LOOP_FAILED = 'indexer leader loop failed; retrying';

/**
 * A collection whose indexer loop fails keeps being retried, costs the other collections
 * nothing, and serves again once the fault is gone (issue 11, item 15). The fault is real:
 * the manifest the committed version names is overwritten with bytes that are no manifest
 * (a torn write, a hand edit), and the indexer process is killed and started again, so its
 * new leader must load that manifest. Every other collection is served throughout; the broken
 * one's items wait (unacknowledged) and are published as soon as the manifest is back.
 */
describe('one collection failing in the indexer does not stop it or the others', () => {
  const broken = uniqueName('loop-broken');
  const healthy = uniqueName('loop-healthy');
  let system: ProcessSystem;
  let dim: number;

  beforeAll(async () => {
    const { bucket } = await createTestBucket('reliability-loop');
    system = await ProcessSystem.start({
      services: testServiceEnv(),
      bucket,
      namespace: uniqueName('rel').slice(0, 32).replace(/-+$/, ''),
      workers: 0,
      keepLines: [LOOP_FAILED],
    });
    dim = loadModelCard('default').dim;
  });

  afterAll(async () => {
    await system?.stop();
    await closeAll();
  });

  const importVector = async (collection: string, id: string) => {
    const answer = await system.call<{ batchId: string }>('POST', `/v1/collections/${collection}/vectors`, {
      body: { items: [{ id, vector: Array.from({ length: dim }, (_, index) => Math.cos(index * (id.length + 1))) }] },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    return answer.body.batchId;
  };
  const served = async (collection: string) =>
    (await system.call<{ count: number; snapshot: { version: number } | null }>('GET', `/v1/collections/${collection}`)).body;
  const failuresOf = (collection: string) =>
    system.indexers
      .at(-1)!
      .keptLines()
      .filter((line) => line.includes(`"collection":"${collection}"`));

  it('retries the broken collection, serves the healthy one meanwhile, and catches up once the manifest is back', async () => {
    await system.waitForBatch(await importVector(broken, 'first'), 60_000);
    await system.waitForBatch(await importVector(healthy, 'first'), 60_000);
    const version = (await served(broken)).snapshot!.version;
    const manifestKey = snapshotLayout.manifest(broken, version);
    const manifest = await system.store.get(manifestKey);
    expect(manifest).toBeDefined();

    await system.store.put(manifestKey, '{"torn": tru');
    await system.indexers[0]!.kill('SIGKILL');
    await system.startIndexer();
    const waiting = await importVector(broken, 'second');

    // The healthy collection is published as usual while the broken one's loop fails.
    await system.waitForBatch(await importVector(healthy, 'second'), 60_000);
    // The API learns of the new version by notice or by its poll, a moment after the batch reads done.
    for (let waited = 0; (await served(healthy)).count < 2 && waited < 30_000; waited += 250) await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await served(healthy)).count).toBe(2);
    for (let waited = 0; failuresOf(broken).length < 3 && waited < 60_000; waited += 250) await new Promise((resolve) => setTimeout(resolve, 250));
    expect(failuresOf(broken).length).toBeGreaterThanOrEqual(3);
    expect(failuresOf(healthy)).toEqual([]);
    expect(system.indexers.at(-1)!.running).toBe(true);
    expect((await system.call<{ state: string; indexed: number }>('GET', `/v1/batches/${waiting}`)).body).toMatchObject({ state: 'running', indexed: 0 });

    // The fault clears: the next retry loads the manifest and publishes what waited.
    await system.store.put(manifestKey, manifest!);
    const done = await system.waitForBatch(waiting, 60_000);
    expect(done).toMatchObject({ total: 1, indexed: 1, failed: 0 });
    for (let waited = 0; (await served(broken)).count < 2 && waited < 30_000; waited += 250) await new Promise((resolve) => setTimeout(resolve, 250));
    expect((await served(broken)).count).toBe(2);
    expect(system.crashes()).toEqual([]);
  }, 240_000);
});
