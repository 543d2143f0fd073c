import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessSystem } from '../support/process-system.ts';
import { RestartableRedis, RestartableS3 } from '../support/restartable-services.ts';
import { serveDirectory, type StaticFileServer } from '../support/static-file-server.ts';
import { uniqueName } from '../harness/test-services.ts';
import { batchCounters, checkRecovery, waitFor, watchLatest, writeToneFiles } from './support/recovery-check.ts';

/**
 * Redis killed -9 and restarted from its AOF, then the S3 server gone for 20 s, while a batch
 * ingests. Both servers are this test's own (the harness's are shared with other files).
 */
const ITEMS = 150;
const S3_OUTAGE_MS = 20_000;

describe('a Redis restart (AOF) and a 20 s S3 outage while a batch ingests lose and double nothing', () => {
  const collection = uniqueName('outages');
  let directory: string;
  let files: StaticFileServer;
  let redis: RestartableRedis;
  let s3: RestartableS3;
  let system: ProcessSystem;
  let names: string[];

  beforeAll(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-outages-'));
    names = writeToneFiles(directory, ITEMS);
    files = await serveDirectory(directory);
    redis = await RestartableRedis.start();
    s3 = await RestartableS3.start();
    const bucket = uniqueName('outages');
    await s3.createBucket(bucket);
    system = await ProcessSystem.start({
      services: { REDIS_URL: redis.url, ...s3.env() } as { REDIS_URL: string; S3_ENDPOINT: string },
      bucket,
      namespace: 'outages',
      env: { WORKER_CONCURRENCY: '4', WORKER_LOCK_DURATION_MS: '4000', LEADER_LOCK_TTL_MS: '2000' },
    });
  });

  afterAll(async () => {
    await system?.stop();
    await files?.close();
    await redis?.close();
    await s3?.close();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('every accepted item ends indexed once or failed with a code, and the batch counters match', async () => {
    const items = names.map((name, index) => ({ id: `item-${index}`, url: files.urlOf(name) }));
    const accepted = await system.call<{ batchId: string }>('POST', '/v1/ingest', { body: { collection, items } });
    expect(accepted.status).toBe(202);
    const { batchId } = accepted.body;
    const watcher = watchLatest(system, collection);
    const counters = () => batchCounters(system, collection, batchId);

    await waitFor(async () => (await counters()).embedded >= ITEMS * 0.2, 'a fifth embedded', 90_000);
    await redis.halt();
    await sleep(2_000);
    await redis.resume();

    await waitFor(async () => (await counters()).indexed >= ITEMS * 0.5, 'half indexed', 120_000);
    watcher.pause();
    await s3.halt();
    await sleep(S3_OUTAGE_MS);
    await s3.resume();
    watcher.resume();

    const report = await checkRecovery(system, collection, [{ batchId, ids: items.map((item) => item.id) }], 180_000);
    await watcher.stop();
    expect(report).toMatchObject({ accepted: ITEMS, lost: [], doubled: [], failedButIndexed: [], counterMismatches: [], brokenShards: [] });
    expect(report.failureCodes).toEqual({});
    expect(watcher.problems).toEqual([]);
    expect(system.crashes()).toEqual([]);
    await waitFor(
      async () => (await system.call<{ count: number }>('GET', `/v1/collections/${collection}`)).body.count === ITEMS,
      'the API to serve every item',
      30_000,
    );
  }, 400_000);
});
