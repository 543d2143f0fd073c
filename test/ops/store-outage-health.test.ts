import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchLedger } from '@audio-index/shared';
import { closeAll, connectTestRedis, testServiceEnv } from '../harness/test-services.ts';
import { createIndexerTestSetup, feedVectors, type IndexerTestSetup } from '../indexer/support/indexer-test-setup.ts';
import { findFreePort } from '../support/app-processes.ts';
import { RestartableS3 } from '../support/restartable-services.ts';
import { spawnEntry, type SignalledProcess } from './support/signalled-process.ts';

/**
 * Issue 15 items 2 and 5 for the store: a real API and indexer on an S3 server of the test's
 * own, which is killed -9 and started again. Each process logs the outage once and its end
 * once (with how long it lasted); the API's /readyz names the store; the dependency gauge of
 * the API's /metrics and of the indexer's own metrics endpoint reads 0, then 1.
 */
const DIM = 8;
/** Long enough for several failed store calls in each process (the API polls every 300 ms). */
const OUTAGE_MS = 6_000;

interface Answer {
  status: number;
  body: { status?: string; error?: { code: string; message: string; details: { failing: string[] } } };
}

describe('the store (S3) stops and comes back under a running API and indexer', () => {
  let s3: RestartableS3;
  let setup: IndexerTestSetup;
  let api: SignalledProcess;
  let indexer: SignalledProcess;
  let apiUrl: string;
  let indexerMetricsUrl: string;
  let directory: string;
  const redis = connectTestRedis();

  beforeAll(async () => {
    s3 = await RestartableS3.start();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-store-'));
    setup = await createIndexerTestSetup({}, s3.endpoint);
    const bucket = `${setup.namespace.replace(/[^a-z0-9-]/g, '')}-store`.slice(0, 63);
    await s3.createBucket(bucket);
    const env = {
      ...testServiceEnv(),
      ...setup.env,
      ...s3.env(),
      STORE_URL: `s3://${bucket}/snapshots`,
      LOG_LEVEL: 'info',
      SHARD_CACHE_DIR: path.join(directory, 'cache'),
    };
    const indexerMetricsPort = await findFreePort();
    indexer = spawnEntry('apps/indexer/src/main.ts', [], { ...env, INDEXER_METRICS_PORT: String(indexerMetricsPort), INDEXER_METRICS_HOST: '127.0.0.1' });
    indexerMetricsUrl = `http://127.0.0.1:${indexerMetricsPort}/metrics`;
    const apiPort = await findFreePort();
    api = spawnEntry('apps/api/src/main.ts', [], { ...env, PORT: String(apiPort), HOST: '127.0.0.1', SNAPSHOT_POLL_INTERVAL_MS: '300' });
    apiUrl = `http://127.0.0.1:${apiPort}`;
    await indexer.waitForOutput('"msg":"indexer started"', 120_000);
    await api.waitForOutput('Server listening', 120_000);
  }, 180_000);

  afterAll(async () => {
    await api?.stop();
    await indexer?.stop();
    await s3?.close();
    await closeAll();
    if (directory) fs.rmSync(directory, { recursive: true, force: true });
  });

  const readyz = async (): Promise<Answer> => {
    const response = await fetch(`${apiUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
    return { status: response.status, body: (await response.json()) as Answer['body'] };
  };
  const storeGauge = async (url: string) => {
    const text = await (await fetch(url, { signal: AbortSignal.timeout(10_000) })).text();
    return /^audio_index_dependency_up\{dependency="store"\} (\d)$/m.exec(text)?.[1];
  };
  const eventually = async <T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const value = await probe();
      if (done(value)) return value;
      if (Date.now() > deadline)
        throw new Error(`${what}: last ${JSON.stringify(value)}\n--- api\n${api.output().slice(-2000)}\n--- indexer\n${indexer.output().slice(-2000)}`);
      await sleep(200);
    }
  };
  const storeLines = (proc: SignalledProcess, prefix: string) =>
    proc.logLines().filter((line) => line.dependency === 'store' && String(line.msg).startsWith(prefix));
  const indexed = async () => Number(await redis.hget(setup.keys.batch(setup.collection, 'b'), 'indexed'));

  it('one line down and one line back per process, /readyz names the store, the gauges follow', async () => {
    await new BatchLedger(redis, setup.keys).createBatch(setup.collection, 'b', 20);
    await feedVectors(
      redis,
      setup,
      'b',
      Array.from({ length: 10 }, (_, index) => `before-${index}`),
      { dim: DIM },
    );
    await eventually(indexed, (count) => count === 10, 'the first ten indexed');
    await eventually(readyz, (answer) => answer.status === 200, 'ready with the store up');
    expect(await storeGauge(`${apiUrl}/metrics`)).toBe('1');
    expect(await storeGauge(indexerMetricsUrl)).toBe('1');

    await s3.halt();
    // New entries make the indexer write to the store; the API reads LATEST on every poll.
    await feedVectors(
      redis,
      setup,
      'b',
      Array.from({ length: 10 }, (_, index) => `during-${index}`),
      { dim: DIM },
    );
    const down = await eventually(readyz, (answer) => answer.status === 503, 'not ready without the store');
    expect(down.body.error?.code).toBe('NOT_READY');
    expect(down.body.error?.details.failing).toEqual(['store']);
    expect(down.body.error?.message).toMatch(/^store: unreachable \(.+\)$/);
    await eventually(
      () => storeGauge(`${apiUrl}/metrics`),
      (value) => value === '0',
      'API store gauge 0',
    );
    await eventually(
      () => storeGauge(indexerMetricsUrl),
      (value) => value === '0',
      'indexer store gauge 0',
    );
    await sleep(OUTAGE_MS);
    expect(await indexed()).toBe(10);

    await s3.resume();
    await eventually(readyz, (answer) => answer.status === 200, 'ready once the store is back');
    await eventually(indexed, (count) => count === 20, 'the rest indexed once the store is back');
    expect(await storeGauge(`${apiUrl}/metrics`)).toBe('1');
    await eventually(
      () => storeGauge(indexerMetricsUrl),
      (value) => value === '1',
      'indexer store gauge 1',
    );
    for (const [name, proc] of [
      ['api', api],
      ['indexer', indexer],
    ] as const) {
      const context = `${name}:\n${proc.output().slice(-3000)}`;
      expect(storeLines(proc, 'store unreachable'), context).toHaveLength(1);
      const back = storeLines(proc, 'store reachable again');
      expect(back, context).toHaveLength(1);
      expect(Number(back[0]!.downMs), context).toBeGreaterThanOrEqual(OUTAGE_MS);
      expect(Number(back[0]!.failures), context).toBeGreaterThan(1);
    }
    // No stack per failed poll. (The indexer's "publish failed; will retry" still carries one:
    // collection-indexer.ts, left to its owner.)
    expect(api.output()).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
  }, 180_000);
});
