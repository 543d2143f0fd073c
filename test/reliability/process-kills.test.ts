import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessSystem } from '../support/process-system.ts';
import { serveDirectory, type StaticFileServer } from '../support/static-file-server.ts';
import { closeAll, createTestBucket, testServiceEnv, uniqueName } from '../harness/test-services.ts';
import { batchCounters, checkRecovery, waitFor, watchLatest, writeToneFiles } from './support/recovery-check.ts';

/**
 * kill -9 while a batch ingests: workers mid-job (three times), the indexer mid-publish (twice),
 * the API (once, replaced by a new one). The full 2,000-item run is
 * bench/reliability/faults.ts; this is the same with fewer items, to keep the suite quick.
 */
const ITEMS = 180;

describe('kill -9 of workers, the indexer and the API while a batch ingests loses and doubles nothing', () => {
  const collection = uniqueName('kills');
  let directory: string;
  let files: StaticFileServer;
  let system: ProcessSystem;
  let names: string[];

  beforeAll(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-kills-'));
    names = writeToneFiles(directory, ITEMS);
    files = await serveDirectory(directory);
    const { bucket } = await createTestBucket('reliability-kills');
    system = await ProcessSystem.start({
      services: testServiceEnv(),
      bucket,
      namespace: uniqueName('rel').slice(0, 32).replace(/-+$/, ''),
      env: { WORKER_CONCURRENCY: '4', WORKER_LOCK_DURATION_MS: '4000', LEADER_LOCK_TTL_MS: '2000', PUBLISH_INTERVAL_MS: '150' },
    });
  });

  afterAll(async () => {
    await system?.stop();
    await files?.close();
    fs.rmSync(directory, { recursive: true, force: true });
    await closeAll();
  });

  it('indexes every accepted item exactly once (or fails it with a code), with LATEST loadable throughout', async () => {
    const items = names.map((name, index) => ({ id: `item-${index}`, url: files.urlOf(name) }));
    const accepted = await system.call<{ batchId: string; accepted: number }>('POST', '/v1/ingest', { body: { collection, items } });
    expect(accepted.status).toBe(202);
    const { batchId } = accepted.body;
    const watcher = watchLatest(system, collection);
    const faults: string[] = [];
    const counters = () => batchCounters(system, collection, batchId);

    // Workers, mid-job: each kill lands while jobs are in flight (the batch is still embedding).
    for (const threshold of [0.15, 0.35, 0.55]) {
      await waitFor(async () => (await counters()).embedded >= ITEMS * threshold, `embedded >= ${threshold * ITEMS}`, 90_000);
      const victim = system.workers.find((worker) => worker.running)!;
      const before = await counters();
      await victim.kill('SIGKILL');
      faults.push(`worker ${victim.pid} killed at embedded=${before.embedded}`);
      await system.startWorker();
    }
    // The indexer, while it publishes (a publish every 150 ms while entries wait).
    for (const threshold of [0.3, 0.6]) {
      await waitFor(async () => (await counters()).indexed >= ITEMS * threshold, `indexed >= ${threshold * ITEMS}`, 90_000);
      const indexer = system.indexers.find((candidate) => candidate.running)!;
      const before = await counters();
      await indexer.kill('SIGKILL');
      faults.push(`indexer ${indexer.pid} killed at indexed=${before.indexed}`);
      await system.startIndexer();
    }
    // The API: gone at once, a new one serves the same state.
    const api = system.apis.find((candidate) => candidate.running)!;
    await api.kill('SIGKILL');
    faults.push(`api ${api.pid} killed`);
    await system.startApi();

    const report = await checkRecovery(system, collection, [{ batchId, ids: items.map((item) => item.id) }], 180_000);
    await watcher.stop();
    expect(faults).toHaveLength(6);
    expect(report).toMatchObject({ accepted: ITEMS, lost: [], doubled: [], failedButIndexed: [], counterMismatches: [], brokenShards: [] });
    expect(report.indexed + report.failed).toBe(ITEMS);
    // Nothing here is a bad item: a kill may cost retries, never an item.
    expect(report.failureCodes).toEqual({});
    expect(watcher.problems).toEqual([]);
    expect(watcher.readings).toBeGreaterThan(0);
    // The new API serves the snapshot with every item in it.
    await waitFor(
      async () => {
        const answer = await system.call<{ count: number }>('GET', `/v1/collections/${collection}`);
        return answer.body.count === ITEMS;
      },
      'the API to serve every item',
      30_000,
    );
    expect(system.crashes()).toEqual([]);
  }, 400_000);
});
