import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, IngestProducer, type BatchStatus } from '@audio-index/shared';
import { writeSampleClips, type SampleClip } from '../../scripts/sample-audio.ts';
import { closeAll, createTestBucket, testRedisUrl, uniqueName } from '../harness/test-services.ts';
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
      const { body } = await system.call<{ snapshot: { count: number; recordings: number }; results: { id: string; metadata: unknown }[] }>('POST', '/v1/search', {
        collection,
        k: 1,
        query: { url: files.urlOf(clips[1]!.file) },
      });
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
    await expect(producer.submit({ items: [{ url: 'https://example.org/a.wav', id: 'a' }, { url: 'https://example.org/b.wav', id: 'a' }] })).rejects.toMatchObject({
      code: 'DUPLICATE_ITEM_ID',
    });
    await expect(producer.waitForBatch('b-unknown')).rejects.toMatchObject({ code: 'BATCH_NOT_FOUND' });
  });
});
