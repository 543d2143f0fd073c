import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchLedger, createRedisKeys, ingestItemJob, jobCatalog } from '@audio-index/shared';
import { closeAll, connectTestRedis, uniqueName } from '../harness/test-services.ts';
import { writeLongRecording } from './support/long-recording.ts';
import { toneClip, wavBytes } from './support/wav-audio.ts';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process.ts';
import { quickRetry, startWorkerUnderTest, workerTestEnv } from './support/worker-harness.ts';

/** `apps/worker/src/main.ts` as a real child process: start-up failures and signals. */
describe('the worker process', () => {
  let fileRoot: string;
  const started: WorkerProcess[] = [];
  const launch = (env: Record<string, string>) => {
    const worker = startWorkerProcess(env);
    started.push(worker);
    return worker;
  };

  beforeAll(() => {
    fileRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-process-'));
    // 120 s of audio: a job of ~1 s alone (several under load), long enough to still be
    // running when the signal sent on its 'active' event arrives, short enough to retry.
    writeLongRecording(fileRoot, 'long.wav', 120);
    fs.writeFileSync(path.join(fileRoot, 'short.wav'), wavBytes(toneClip(7, 1)));
  });

  afterAll(async () => {
    for (const worker of started) worker.kill();
    await closeAll();
    if (fileRoot) fs.rmSync(fileRoot, { recursive: true, force: true });
  });

  it('exits non-zero with a clear message when CUDA is asked for but missing', async () => {
    const worker = launch(workerTestEnv({ EXECUTION_PROVIDER: 'cuda' }));
    expect((await worker.exited).code).toBe(1);
    expect(worker.output()).toMatch(/worker failed to start: EXECUTION_PROVIDER_UNAVAILABLE: execution provider "cuda" is unavailable/);
  });

  it('exits non-zero naming the variable when the configuration is invalid', async () => {
    const worker = launch(workerTestEnv({ WORKER_CONCURRENCY: '0', FETCH_ALLOWED_NETWORKS: '10.0.0.0/99' }));
    expect((await worker.exited).code).toBe(1);
    expect(worker.output()).toMatch(/CONFIG_INVALID/);
    expect(worker.output()).toMatch(/WORKER_CONCURRENCY/);
    expect(worker.output()).toMatch(/FETCH_ALLOWED_NETWORKS: not a network: "10.0.0.0\/99"/);
  });

  describe.each(['SIGTERM', 'SIGINT'] as const)('on %s', (signal) => {
    it('stops taking jobs, finishes the active one and exits 0', async () => {
      const harness = await jobHarness();
      const worker = launch({ ...harness.env, SHUTDOWN_GRACE_MS: '60000' });
      await worker.waitForOutput(/worker started/);
      const [longJobId, shortJobId] = await harness.submit(['long.wav', 'short.wav']);
      if (!longJobId || !shortJobId) throw new Error('jobs not submitted');
      await harness.activated(longJobId);
      worker.child.kill(signal);

      expect(await worker.exited).toEqual({ code: 0, signal: null });
      expect(await harness.status()).toMatchObject({ total: 2, embedded: 1, failed: 0 });
      expect(await harness.queue.getJobState(shortJobId)).toBe('waiting'); // never taken
      await harness.close();
    }, 120_000);
  });

  it('releases a job that outlives the grace period for another worker to retry', async () => {
    const harness = await jobHarness();
    const worker = launch({ ...harness.env, SHUTDOWN_GRACE_MS: '0' });
    await worker.waitForOutput(/worker started/);
    const [longJobId] = await harness.submit(['long.wav']);
    if (!longJobId) throw new Error('job not submitted');
    await harness.activated(longJobId);
    worker.child.kill('SIGTERM');

    expect((await worker.exited).code).toBe(0);
    expect(await harness.status()).toMatchObject({ total: 1, embedded: 0, failed: 0, failures: [] });
    expect(['delayed', 'waiting', 'active']).toContain(await harness.queue.getJobState(longJobId));

    const successor = await startWorkerUnderTest(harness.env);
    try {
      const status = await successor.waitForOutcomes(harness.batchId, 90_000);
      expect(status).toMatchObject({ total: 1, embedded: 1, failed: 0 });
      expect(await successor.redis.xlen(successor.keys.stream(harness.collection))).toBe(1);
    } finally {
      await successor.stop();
      await harness.close();
    }
  }, 150_000);

  /** A namespace, a batch and a queue of one-at-a-time jobs for one worker process. */
  async function jobHarness() {
    const env = workerTestEnv({ FILE_ROOT: fileRoot, WORKER_CONCURRENCY: '1', LOG_LEVEL: 'info' });
    const keys = createRedisKeys(env.REDIS_NAMESPACE);
    const redis = connectTestRedis();
    const ledger = new BatchLedger(redis, keys);
    const queue = new Queue(jobCatalog.ingestItem.queue, { connection: redis, prefix: keys.queuePrefix });
    const events = new QueueEvents(jobCatalog.ingestItem.queue, { connection: connectTestRedis(), prefix: keys.queuePrefix });
    await events.waitUntilReady();
    const activeJobs = new Set<string>();
    events.on('active', ({ jobId }) => activeJobs.add(jobId));
    const collection = uniqueName('signals');
    const batchId = `b${uniqueName('s').replace(/-/g, '')}`.slice(0, 40);
    return {
      env,
      queue,
      collection,
      batchId,
      async submit(files: string[]): Promise<string[]> {
        await ledger.createBatch(collection, batchId, files.length);
        const jobs = files.map((file) =>
          ingestItemJob({ v: 1, batchId, collection, itemId: file, url: pathToFileURL(path.join(fileRoot, file)).href }, quickRetry),
        );
        await queue.addBulk(jobs);
        return jobs.map((job) => job.opts.jobId);
      },
      async activated(jobId: string): Promise<void> {
        while (!activeJobs.has(jobId)) await new Promise((resolve) => setTimeout(resolve, 20));
      },
      status: () => ledger.status(batchId),
      async close() {
        await events.close();
        await queue.close();
      },
    };
  }
});
