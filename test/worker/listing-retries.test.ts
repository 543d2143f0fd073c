import { Queue, Worker } from 'bullmq';
import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchLedger, createLogger, createRedisKeys, jobCatalog, listSourceJob, type ListSourcePayload } from '@audio-index/shared';
import { createListingProcessor } from '@audio-index/worker';
import { closeAll, connectTestRedis, createTestBucket, createTestS3Client, testS3ClientConfig, uniqueName } from '../harness/test-services.ts';
import { uploadToneArchive } from './support/s3-archive.ts';

/**
 * A listing job may run more than once: its worker can crash after any step, and BullMQ
 * runs it again. Here every page's job is run twice (and one page again much later), with
 * objects added to the prefix between a page's first run and its rerun; the batch total must
 * still equal the number of distinct item jobs enqueued, and the listing must end.
 */
describe('a source listing run again after a crash', () => {
  const namespace = uniqueName('lr').slice(0, 32).replace(/-+$/, '');
  const keys = createRedisKeys(namespace);
  const collection = uniqueName('listing');
  let bucket: string;
  let queue: Queue;
  let ledger: BatchLedger;
  let s3: S3Client;

  beforeAll(async () => {
    bucket = (await createTestBucket('listing')).bucket;
    await uploadToneArchive(createTestS3Client(), bucket, 'archive/m-', 25);
    const redis = connectTestRedis();
    queue = new Queue(jobCatalog.listSource.queue, { connection: redis, prefix: keys.queuePrefix });
    ledger = new BatchLedger(redis, keys);
    s3 = new S3Client(testS3ClientConfig());
  });

  afterAll(async () => {
    await queue?.close();
    s3?.destroy();
    await closeAll();
  });

  it('counts each page once and enqueues each item once', async () => {
    const process = createListingProcessor({
      queue,
      ledger,
      listing: { s3, allowedS3Buckets: [bucket] },
      pageSize: 10,
      maxWaitingItems: 1000,
      logger: createLogger('test', 'silent'),
    });
    const batchId = `b${uniqueName('x').replace(/-/g, '')}`.slice(0, 40);
    await ledger.createBatch(collection, batchId, 0, { listing: true });
    const first = listSourceJob({ v: 1, batchId, collection, source: `s3://${bucket}/archive/`, page: 0 });
    await queue.add(first.name, first.data, first.opts);
    const runPage = async (page: number) => {
      const job = await queue.getJob(`l-${batchId}-${page}`);
      if (!job) throw new Error(`no listing job for page ${page}`);
      return process(job);
    };

    expect(await runPage(0)).toEqual({ listed: 10, last: false });
    // Objects arrive after page 0 was listed: some sort before its cursor, some after.
    await uploadToneArchive(createTestS3Client(), bucket, 'archive/a-', 3, 100);
    await uploadToneArchive(createTestS3Client(), bucket, 'archive/z-', 4, 200);
    expect(await runPage(0)).toEqual({ listed: 10, last: false }); // the saved page, not a fresh listing
    const saved = (await queue.getJob(`l-${batchId}-0`))!.data as ListSourcePayload;
    expect(saved.listed?.urls).toHaveLength(10);

    let page = 1;
    for (; ; page += 1) {
      const outcome = await runPage(page);
      expect(await runPage(page)).toEqual(outcome);
      if (outcome.last) break;
    }
    await runPage(0); // a very late duplicate of the first page changes nothing either

    const status = await ledger.status(batchId);
    const items = await queue.getJobs(['waiting', 'prioritized', 'delayed'], 0, -1);
    const itemJobs = items.filter((job) => job.name === jobCatalog.ingestItem.name);
    expect(new Set(itemJobs.map((job) => job.id)).size).toBe(itemJobs.length);
    expect(status).toMatchObject({ listing: 'done', total: itemJobs.length, state: 'running' });
    // The 25 original objects and the 4 that sort after page 0's cursor; the 3 that sort
    // before it arrived too late for this listing.
    expect(itemJobs.length).toBe(29);
  });

  it('waits, without using an attempt, while the queue holds more waiting items than allowed', async () => {
    const process = createListingProcessor({
      queue,
      ledger,
      listing: { s3, allowedS3Buckets: [bucket] },
      pageSize: 10,
      maxWaitingItems: 5,
      logger: createLogger('test', 'silent'),
    });
    const batchId = `b${uniqueName('y').replace(/-/g, '')}`.slice(0, 40);
    await ledger.createBatch(collection, batchId, 0, { listing: true });
    const first = listSourceJob({ v: 1, batchId, collection, source: `s3://${bucket}/archive/`, page: 0 });
    await queue.add(first.name, first.data, first.opts);
    // Taken the way a worker takes it (a delay needs the lock); lifo puts it at the head.
    const taker = new Worker(jobCatalog.listSource.queue, null, { connection: connectTestRedis(), prefix: keys.queuePrefix });
    const token = 'test-token';
    const job = (await taker.getNextJob(token))!;
    expect(job.id).toBe(`l-${batchId}-0`);
    // The previous test left more than 5 item jobs waiting in this queue.
    await expect(process(job, token)).rejects.toMatchObject({ name: 'DelayedError' });
    await taker.close();
    expect(await queue.getJobState(job.id!)).toBe('delayed');
    expect((await queue.getJob(job.id!))!.attemptsMade).toBe(0);
    expect(await ledger.status(batchId)).toMatchObject({ total: 0, listing: 'running' });
  });

  it('ends at once for an empty prefix, and with one failure for a bucket that does not exist', async () => {
    const process = createListingProcessor({
      queue,
      ledger,
      listing: { s3, allowedS3Buckets: [bucket, 'no-such-bucket-anywhere'] },
      pageSize: 10,
      maxWaitingItems: 1_000_000,
      logger: createLogger('test', 'silent'),
    });
    const run = async (source: string) => {
      const batchId = `b${uniqueName('z').replace(/-/g, '')}`.slice(0, 40);
      await ledger.createBatch(collection, batchId, 0, { listing: true });
      const job = listSourceJob({ v: 1, batchId, collection, source, page: 0 });
      await queue.add(job.name, job.data, job.opts);
      await process((await queue.getJob(job.opts.jobId))!).catch(() => undefined);
      return ledger.status(batchId);
    };
    expect(await run(`s3://${bucket}/nothing-here/`)).toMatchObject({ total: 0, listing: 'done', state: 'done' });
    const missing = await run('s3://no-such-bucket-anywhere/x/');
    expect(missing).toMatchObject({ total: 1, failed: 1, listing: 'done', state: 'done' });
    expect(missing!.failures[0]).toMatchObject({ id: 's3://no-such-bucket-anywhere/x/', code: 'FETCH_NOT_FOUND', attempts: 1 });
  });
});
