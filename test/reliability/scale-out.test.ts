import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLocalRedisCluster, type LocalRedisCluster } from '../support/local-redis-cluster.ts';
import { apiClient, type ApiCall } from '../support/app-processes.ts';
import { ProcessSystem, type BatchStatus } from '../support/process-system.ts';
import { startSystem, waitForBatch } from '../support/running-system.ts';
import { auditLatestSnapshot } from '../support/snapshot-audit.ts';
import { serveDirectory, type StaticFileServer } from '../support/static-file-server.ts';
import { createObjectStore, type ObjectStore } from '@audio-index/shared';
import { closeAll, createTestBucket, testS3Config, testServiceEnv, uniqueName } from '../harness/test-services.ts';
import { checkRecovery, waitFor, writeToneFiles } from './support/recovery-check.ts';

/**
 * The same ingest, deletes and searches, once on api + worker + indexer in one process against a
 * single Redis, once on 2 API replicas + 3 workers + 1 indexer against a 3-master Redis
 * Cluster: the answers must be the same. On the Cluster, a MULTI or Lua script over keys of
 * two slots fails (CROSSSLOT), so this also proves the keys are hash-tagged right.
 */
const ITEMS = 30;

/** What a run needs of a system: the in-process one and the process one both give it. */
interface ScaleTarget {
  call: ApiCall;
  store: ObjectStore;
  apiUrls: string[];
  key?: string;
  waitForBatch(batchId: string): Promise<BatchStatus>;
}

interface RunResult {
  batch: { total: number; indexed: number; failed: number; failures: string[] };
  ids: string[];
  searches: string[][];
  scores: number[][];
  afterDelete: string[];
  count: number;
}

describe('scale-out: 2 API replicas and 3 workers on a 3-master Redis Cluster answer as one process on one Redis', () => {
  let cluster: LocalRedisCluster;
  let directory: string;
  let files: StaticFileServer;
  let names: string[];

  beforeAll(async () => {
    cluster = await startLocalRedisCluster(3);
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-scale-'));
    names = writeToneFiles(directory, ITEMS, 0.3);
    files = await serveDirectory(directory);
  });

  afterAll(async () => {
    await files?.close();
    await cluster?.stop();
    fs.rmSync(directory, { recursive: true, force: true });
    await closeAll();
  });

  async function runOnce(system: ScaleTarget): Promise<RunResult> {
    const collection = 'scale';
    const items = [
      ...names.map((name, index) => ({ id: `item-${index}`, url: files.urlOf(name), metadata: { n: index } })),
      { id: 'missing', url: `${files.url}/missing.wav` },
    ];
    const accepted = await system.call<{ batchId: string }>('POST', '/v1/ingest', { body: { collection, items } });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    const report = await checkRecovery(system, collection, [{ batchId: accepted.body.batchId, ids: items.map((item) => item.id) }]);
    expect(report).toMatchObject({ lost: [], doubled: [], failedButIndexed: [], counterMismatches: [], brokenShards: [] });
    const status = await system.waitForBatch(accepted.body.batchId);
    // Every API replica serves the whole snapshot before it is asked.
    for (const url of system.apiUrls) {
      await waitFor(
        async () => {
          const answer = await fetch(`${url}/v1/collections/${collection}`, { headers: system.key ? { authorization: `Bearer ${system.key}` } : {} });
          return ((await answer.json()) as { count: number }).count === ITEMS;
        },
        `api ${url} to serve ${ITEMS} items`,
        30_000,
      );
    }
    const searches: string[][] = [];
    const scores: number[][] = [];
    for (const query of ['item-0', 'item-7', 'item-23']) {
      const answer = await system.call<{ results: { id: string; score: number }[] }>('POST', '/v1/search', {
        body: { collection, k: 5, query: { id: query } },
      });
      expect(answer.status).toBe(200);
      searches.push(answer.body.results.map((hit) => hit.id));
      scores.push(answer.body.results.map((hit) => Number(hit.score.toFixed(5))));
    }
    expect((await system.call('DELETE', `/v1/collections/${collection}/items/item-1`)).status).toBe(202);
    await waitFor(
      async () => (await system.call<{ count: number }>('GET', `/v1/collections/${collection}`)).body.count === ITEMS - 1,
      'the delete to be served',
      30_000,
    );
    const afterDelete = await system.call<{ results: { id: string }[] }>('POST', '/v1/search', { body: { collection, k: 5, query: { id: 'item-0' } } });
    const audit = await auditLatestSnapshot(system.store, collection);
    expect(audit.doubled).toEqual([]);
    return {
      batch: {
        total: status.total,
        indexed: status.indexed,
        failed: status.failed,
        failures: status.failures.map((failure) => `${failure.id} ${failure.code}`),
      },
      ids: [...audit.rowsById.keys()].sort(),
      searches,
      scores,
      afterDelete: afterDelete.body.results.map((hit) => hit.id),
      count: audit.manifest?.count ?? -1,
    };
  }

  it('gives the same batch outcome, snapshot and search answers', async () => {
    const env = { ALLOW_PRIVATE_NETWORKS: 'true', WORKER_CONCURRENCY: '4' };
    // The baseline: api, worker and indexer in this one process (test/support/running-system.ts).
    const { bucket: singleBucket } = await createTestBucket('reliability-single');
    const single = await startSystem({ bucket: singleBucket, env: { ...env, LOG_LEVEL: 'warn' } });
    const singleStore = createObjectStore(
      { url: `s3://${singleBucket}/snapshots`, endpoint: testS3Config().endpoint, region: testS3Config().region, forcePathStyle: true },
      { accessKeyId: testS3Config().accessKeyId, secretAccessKey: testS3Config().secretAccessKey },
    );
    let singleResult: RunResult;
    try {
      const call = apiClient(() => single.api.url, undefined);
      singleResult = await runOnce({
        call,
        store: singleStore,
        apiUrls: [single.api.url],
        waitForBatch: async (batchId) => (await waitForBatch(single, batchId)) as BatchStatus,
      });
    } finally {
      await single.stop();
      await singleStore.close();
    }

    const { bucket: scaledBucket } = await createTestBucket('reliability-scaled');
    const scaled = await ProcessSystem.start({
      services: { ...testServiceEnv(), REDIS_URL: cluster.url },
      bucket: scaledBucket,
      namespace: uniqueName('many').slice(0, 24).replace(/-+$/, ''),
      env,
      apis: 2,
      workers: 3,
    });
    try {
      const scaledResult = await runOnce({
        call: scaled.call,
        store: scaled.store,
        waitForBatch: (batchId) => scaled.waitForBatch(batchId),
        apiUrls: scaled.apis.map((api) => api.url!),
        key: scaled.key,
      });
      expect(scaledResult).toEqual(singleResult);
      expect(singleResult.batch).toEqual({ total: ITEMS + 1, indexed: ITEMS, failed: 1, failures: ['missing FETCH_NOT_FOUND'] });
      expect(singleResult.afterDelete).not.toContain('item-1');
      expect(scaled.crashes()).toEqual([]);
      // Nothing the apps wrote reached Redis without a hash tag (each command would have failed
      // across slots, but a stray single key would not): every key holds `{`.
      const untagged: string[] = [];
      let keys = 0;
      for (const port of cluster.ports) {
        const node = new Redis(port, '127.0.0.1');
        const nodeKeys = await node.keys('*');
        keys += nodeKeys.length;
        untagged.push(...nodeKeys.filter((key) => !key.includes('{')));
        node.disconnect();
      }
      expect(keys).toBeGreaterThan(0);
      expect(untagged).toEqual([]);
    } finally {
      await scaled.stop();
    }
  }, 400_000);
});
