import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { Queue, QueueEvents, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchLedger, createRedisKeys, ingestItemJob, jobCatalog } from '@audio-index/shared';
import { closeAll, connectTestRedis, uniqueName } from '../harness/test-services.ts';
import { writeLongRecording } from './support/long-recording.ts';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process.ts';
import { quickRetry, workerTestEnv } from './support/worker-harness.ts';

const LOCK_MS = 1000;

/**
 * A job whose embedding alone takes several seconds (900 s of audio: ~180 windows, ~4 s
 * here) under a 1 s lock must run exactly once. The worker runs in its own process; a
 * second worker on the same queue, here in the test process, looks for stalled jobs every
 * second, as a fleet's other workers would. Had the worker's event loop been blocked by
 * inference, its lock would lapse and that second worker would run the job again (checked
 * by temporarily blocking the loop for 3 s after each embed: this test then fails).
 */
describe('a job that runs far longer than its lock', () => {
  const collection = uniqueName('long-job');
  const env = workerTestEnv({ WORKER_LOCK_DURATION_MS: String(LOCK_MS), WORKER_CONCURRENCY: '1', LOG_LEVEL: 'info' });
  const keys = createRedisKeys(env.REDIS_NAMESPACE);
  let fileRoot: string;
  let workerProcess: WorkerProcess;
  let events: QueueEvents;
  let rival: Worker | undefined;

  beforeAll(async () => {
    fileRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'long-job-'));
    writeLongRecording(fileRoot, 'long.wav', 900);
    workerProcess = startWorkerProcess({ ...env, FILE_ROOT: fileRoot });
    events = new QueueEvents(jobCatalog.ingestItem.queue, { connection: connectTestRedis(), prefix: keys.queuePrefix });
    await Promise.all([events.waitUntilReady(), workerProcess.waitForOutput(/worker started/)]);
  });

  afterAll(async () => {
    await rival?.close(true);
    await events?.close();
    workerProcess?.child.kill('SIGTERM');
    await workerProcess?.exited;
    await closeAll();
    if (fileRoot) fs.rmSync(fileRoot, { recursive: true, force: true });
  });

  it('is processed exactly once', async () => {
    const activations: string[] = [];
    const stalls: string[] = [];
    events.on('active', ({ jobId }) => activations.push(jobId));
    events.on('stalled', ({ jobId }) => stalls.push(jobId));
    const redis = connectTestRedis();
    const ledger = new BatchLedger(redis, keys);
    const batchId = `b${uniqueName('l').replace(/-/g, '')}`.slice(0, 40);
    await ledger.createBatch(collection, batchId, 1);
    const job = ingestItemJob({ v: 1, batchId, collection, itemId: 'long', url: pathToFileURL(path.join(fileRoot, 'long.wav')).href }, quickRetry);
    const activated = new Promise<void>((resolve) => events.once('active', () => resolve()));
    const queue = new Queue(jobCatalog.ingestItem.queue, { connection: redis, prefix: keys.queuePrefix });
    await queue.add(job.name, job.data, job.opts);
    await activated;

    // Only now: the job is the worker process's, so the rival can get it only by stall recovery.
    const rivalRuns: string[] = [];
    rival = new Worker(jobCatalog.ingestItem.queue, async (stolen) => void rivalRuns.push(stolen.id!), {
      connection: connectTestRedis(),
      prefix: keys.queuePrefix,
      lockDuration: LOCK_MS,
      stalledInterval: LOCK_MS,
    });

    let status = await ledger.status(batchId);
    for (const deadline = Date.now() + 120_000; status && status.embedded + status.failed < 1 && Date.now() < deadline;) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      status = await ledger.status(batchId);
    }
    await queue.close();

    expect(status).toMatchObject({ total: 1, embedded: 1, failed: 0 });
    expect(stalls).toEqual([]);
    expect(rivalRuns).toEqual([]);
    expect(activations).toHaveLength(1);
    expect(await redis.xlen(keys.stream(collection))).toBe(1);
  }, 150_000);
});
