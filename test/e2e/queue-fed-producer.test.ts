import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, IngestProducer, createRedisKeys, encodeStreamFields, type BatchStatus } from '@audio-index/shared';
import { writeSampleClips, type SampleClip } from '../../scripts/sample-audio.ts';
import { closeAll, connectTestRedis, createTestBucket, testRedisUrl, uniqueName } from '../harness/test-services.ts';
import { startSystem, type RunningSystem } from '../support/running-system.ts';
import { serveDirectory, type StaticFileServer } from '../support/static-file-server.ts';

describe('a Node service feeding the ingest queue directly (no HTTP)', () => {
  const collection = uniqueName('producer');
  const namespace = uniqueName('pns').slice(0, 30).replace(/-+$/, '');
  let clipDirectory: string;
  let clips: SampleClip[];
  let files: StaticFileServer;
  let system: RunningSystem;
  let producer: IngestProducer;

  beforeAll(async () => {
    clipDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'producer-clips-'));
    clips = await writeSampleClips(clipDirectory, 5);
    files = await serveDirectory(clipDirectory);
    const { bucket } = await createTestBucket('producer');
    system = await startSystem({ bucket, env: { REDIS_NAMESPACE: namespace } });
    producer = IngestProducer.connect({ redisUrl: testRedisUrl(), namespace });
  });

  afterAll(async () => {
    await producer?.close();
    await system?.stop();
    await files?.close();
    await closeAll();
    fs.rmSync(clipDirectory, { recursive: true, force: true });
  });

  it('submits items, follows the batch to done, and the items are searchable', async () => {
    const accepted = await producer.submit({
      collection,
      items: clips.map((clip) => ({ id: clip.name, url: files.urlOf(clip.file), metadata: { via: 'producer' } })),
    });
    expect(accepted).toMatchObject({ collection, accepted: clips.length });
    const seen: BatchStatus[] = [];
    const done = await producer.waitForBatch(accepted.batchId, { timeoutMs: 120_000, pollMs: 100, onProgress: (status) => seen.push(status) });
    expect(done).toMatchObject({ total: clips.length, indexed: clips.length, failed: 0, state: 'done' });
    expect(seen.length).toBeGreaterThan(0);

    // The HTTP API sees the same batch and serves the items.
    const status = await system.call<BatchStatus>('GET', `/v1/batches/${accepted.batchId}`);
    expect(status.body).toMatchObject({ indexed: clips.length });
    for (let attempt = 0; ; attempt += 1) {
      const { body } = await system.call<{ snapshot: { count: number; recordings: number }; results: { id: string; metadata: unknown }[] }>(
        'POST',
        '/v1/search',
        {
          collection,
          k: 1,
          query: { url: files.urlOf(clips[1]!.file) },
        },
      );
      if (body.snapshot?.recordings === clips.length) {
        expect(body.results[0]).toMatchObject({ id: clips[1]!.name, metadata: { via: 'producer' } });
        break;
      }
      if (attempt > 100) throw new Error('items never became searchable');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });

  it('validates like the API, with stable codes', async () => {
    await expect(producer.submit({ collection, items: [] })).rejects.toMatchObject({ code: 'VALIDATION_FAILED' });
    await expect(producer.submit({ collection, items: [{ url: 'ftp://x/y.wav' }] })).rejects.toBeInstanceOf(AppError);
    await expect(
      producer.submit({
        items: [
          { url: 'https://example.org/a.wav', id: 'a' },
          { url: 'https://example.org/b.wav', id: 'a' },
        ],
      }),
    ).rejects.toMatchObject({
      code: 'DUPLICATE_ITEM_ID',
    });
    await expect(producer.waitForBatch('b-unknown')).rejects.toMatchObject({ code: 'BATCH_NOT_FOUND' });
  });
});

describe('a queue-fed producer is held back by the same limits as the API', () => {
  // No worker or indexer serves this namespace: queued jobs stay waiting, stream entries stay.
  const namespace = uniqueName('pbp').slice(0, 30).replace(/-+$/, '');
  const [first, second, third] = [uniqueName('held-a'), uniqueName('held-b'), uniqueName('held-c')];
  const item = (name: string) => ({ id: name, url: `https://example.org/${name}.wav` });
  let producer: IngestProducer;

  beforeAll(() => {
    producer = IngestProducer.connect({ redisUrl: testRedisUrl(), namespace, backpressure: { maxStreamBacklog: 2, maxQueueBacklog: 4, maxCollections: 2 } });
  });

  afterAll(async () => {
    await producer?.close();
    await closeAll();
  });

  it('refuses new collections past the cap, and items while the stream or the queue is over its limit, with a retry hint', async () => {
    await producer.submit({ collection: first, items: [item('a1')] });
    await producer.submit({ collection: second, items: [item('b1')] });
    await expect(producer.submit({ collection: third, items: [item('c1')] })).rejects.toMatchObject({ code: 'TOO_MANY_COLLECTIONS', details: { limit: 2 } });

    const redis = connectTestRedis();
    const vector = Float32Array.from([1, 0, 0, 0]);
    for (const id of ['x1', 'x2']) {
      await redis.xadd(
        createRedisKeys(namespace).stream(first),
        '*',
        ...(encodeStreamFields({ op: 'upsert', id, modelId: 'm', vectors: vector, dim: 4 }) as string[]),
      );
    }
    const streamFull = await producer.submit({ collection: first, items: [item('a2')] }).catch((error: unknown) => error);
    expect(streamFull).toBeInstanceOf(AppError);
    expect(streamFull).toMatchObject({ code: 'BACKLOG_FULL', details: { entries: 2, limit: 2 } });
    expect(((streamFull as AppError).details as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);
    await expect(producer.submitSource({ collection: first, source: 's3://bucket/prefix/' })).rejects.toMatchObject({ code: 'BACKLOG_FULL' });

    // The other collection's stream is empty: it is held back only once the shared queue fills.
    await producer.submit({ collection: second, items: [item('b2'), item('b3')] });
    const queueFull = await producer.submit({ collection: second, items: [item('b4')] }).catch((error: unknown) => error);
    expect(queueFull).toMatchObject({ code: 'BACKLOG_FULL', details: { queue: 'ingest', jobs: 4, limit: 4 } });
    expect(((queueFull as AppError).details as { retryAfterSeconds: number }).retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });
});
