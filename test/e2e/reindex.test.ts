import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createObjectStore, createRedisKeys, jobCatalog, readLatestManifest, type Manifest, type ObjectStore } from '@audio-index/shared';
import { writeSampleClips, type SampleClip } from '../../scripts/sample-audio.ts';
import { closeAll, connectTestRedis, createTestBucket, testServiceEnv, uniqueName } from '../harness/test-services.ts';
import { readVisibleRows } from '../indexer/support/indexer-test-setup.ts';
import { startSystem, waitForBatch, type RunningSystem } from '../support/running-system.ts';
import { serveDirectory, type StaticFileServer } from '../support/static-file-server.ts';

interface SearchBody {
  snapshot: { version: number; count: number; recordings: number };
  results: { id: string; score: number }[];
}
interface ErrorBody {
  error: { code: string };
}
interface CollectionBody {
  model: { id: string; dim: number };
  count: number;
  recordings: number;
  snapshot: { version: number };
}

const repoRoot = path.resolve(import.meta.dirname, '../..');

describe('reindex over HTTP into a second model (api -> indexer -> worker -> indexer, real Redis and S3)', () => {
  const collection = uniqueName('reindex');
  const namespace = uniqueName('ns').slice(0, 32).replace(/-+$/, '');
  let clipDirectory: string;
  let modelDirectory: string;
  let clips: SampleClip[];
  let files: StaticFileServer;
  let system: RunningSystem;
  let store: ObjectStore;
  let queue: Queue;
  const secondModelId = 'logmel-stats-v2-second';

  beforeAll(async () => {
    clipDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'reindex-clips-'));
    clips = await writeSampleClips(clipDirectory, 10);
    files = await serveDirectory(clipDirectory);
    // A second model: the default one's ONNX files (the model, and its front end and head) under a card with another id.
    modelDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'second-model-'));
    for (const file of ['model.onnx', 'front-end.onnx', 'head.onnx'])
      fs.copyFileSync(path.join(repoRoot, 'models/default', file), path.join(modelDirectory, file));
    const card = JSON.parse(fs.readFileSync(path.join(repoRoot, 'models/default/card.json'), 'utf8')) as Record<string, unknown>;
    fs.writeFileSync(path.join(modelDirectory, 'card.json'), JSON.stringify({ ...card, id: secondModelId }));
    const { bucket } = await createTestBucket('reindex');
    system = await startSystem({ bucket, env: { REDIS_NAMESPACE: namespace } });
    const services = testServiceEnv();
    store = createObjectStore(
      { url: `s3://${bucket}/snapshots`, endpoint: services.S3_ENDPOINT, region: services.S3_REGION, forcePathStyle: true },
      { accessKeyId: services.AWS_ACCESS_KEY_ID, secretAccessKey: services.AWS_SECRET_ACCESS_KEY },
    );
    queue = new Queue(jobCatalog.ingestItem.queue, { connection: connectTestRedis(), prefix: createRedisKeys(namespace).queuePrefix });
  });

  afterAll(async () => {
    await queue?.close();
    await system?.stop();
    await store?.close();
    await files?.close();
    await closeAll();
    fs.rmSync(clipDirectory, { recursive: true, force: true });
    fs.rmSync(modelDirectory, { recursive: true, force: true });
  });

  async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean, what: string): Promise<T> {
    for (let attempt = 0; attempt < 600; attempt += 1) {
      const value = await read();
      if (accept(value)) return value;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`never reached: ${what}`);
  }

  const latest = () => readLatestManifest(store, collection) as Promise<Manifest>;
  const searchFirst = () => system.call<SearchBody>('POST', '/v1/search', { collection, k: 3, query: { id: clips[0]!.name } });

  it('serves the old generation while the new one builds, then the new model with every id once', { timeout: 120_000 }, async () => {
    const [initial, late, afterwards] = [clips.slice(0, 8), clips[8]!, clips[9]!];
    const ingest = async (items: SampleClip[]) => {
      const body = { collection, items: items.map((clip) => ({ id: clip.name, url: files.urlOf(clip.file) })) };
      const accepted = await system.call<{ batchId: string }>('POST', '/v1/ingest', body);
      expect(accepted.status).toBe(202);
      return accepted.body.batchId;
    };
    expect(await waitForBatch(system, await ingest(initial))).toMatchObject({ indexed: 8, failed: 0 });
    // One imported vector without a URL: it cannot be re-embedded.
    const dim = (await until(latest, (manifest) => manifest?.recordings === 8, 'first snapshot')).model.dim;
    const imported = await system.call<{ batchId: string }>('POST', `/v1/collections/${collection}/vectors`, {
      items: [{ id: 'imported', vector: Array.from({ length: dim }, (_, index) => Math.cos(index)) }],
    });
    expect(await waitForBatch(system, imported.body.batchId)).toMatchObject({ indexed: 1 });
    const before = await until(searchFirst, (answer) => answer.status === 200 && answer.body.snapshot.recordings === 9, 'search of 9');

    // Refused requests.
    expect((await system.call<ErrorBody>('POST', `/v1/collections/${uniqueName('none')}/reindex`, { mode: 'all' })).status).toBe(404);
    const badMode = await system.call<ErrorBody>('POST', `/v1/collections/${collection}/reindex`, { mode: 'some' });
    expect([badMode.status, badMode.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const badModel = await system.call<ErrorBody>('POST', `/v1/collections/${collection}/reindex`, { mode: 'all', model: path.join(modelDirectory, 'none') });
    expect([badModel.status, badModel.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);

    // Hold the workers, so the build can be looked at half way.
    await queue.pause();
    const started = await system.call<{ reindexId: string }>('POST', `/v1/collections/${collection}/reindex`, { mode: 'all', model: modelDirectory });
    expect(started.status).toBe(202);
    const { reindexId } = started.body;
    const again = await system.call<ErrorBody>('POST', `/v1/collections/${collection}/reindex`, { mode: 'missing' });
    expect([again.status, again.body.error.code]).toEqual([409, 'REINDEX_IN_PROGRESS']);
    const building = await until(latest, (manifest) => manifest.next !== undefined, 'a manifest with the build');
    expect(building).toMatchObject({ generation: 1, recordings: 9, next: { reindexId, generation: 2, model: { id: secondModelId, dim } } });
    // An item ingested during the build reaches the served generation now and the new one later.
    const lateBatch = await ingest([late]);
    await queue.resume();
    expect(await waitForBatch(system, lateBatch)).toMatchObject({ indexed: 1, failed: 0 });

    // Until the swap, every answer comes from generation 1 (the old model) with every item.
    let swapped: Manifest | undefined;
    while (!swapped) {
      const manifest = await latest();
      const answer = await searchFirst();
      expect(answer.status).toBe(200);
      expect(answer.body.results[0]!.id).toBe(clips[0]!.name);
      if (manifest.generation === 2) swapped = manifest;
      else {
        expect(manifest.model.id).not.toBe(secondModelId);
        expect(answer.body.snapshot.recordings).toBeGreaterThanOrEqual(9);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(swapped).toMatchObject({ generation: 2, model: { id: secondModelId, dim }, modelRef: modelDirectory });
    expect(swapped.next).toBeUndefined();
    const ids = [...new Set((await readVisibleRows(store, collection))!.rows.map((row) => row.id))].sort();
    expect(ids).toEqual([...initial, late].map((clip) => clip.name).sort()); // each exactly once; `imported` had no URL

    const status = await waitForBatch(system, reindexId);
    expect(status).toMatchObject({ total: 10, failed: 1, indexed: 9, state: 'done' });
    expect(status.failures).toEqual([expect.objectContaining({ id: 'imported', code: 'NO_SOURCE_URL' })]);
    const described = await until(
      () => system.call<CollectionBody>('GET', `/v1/collections/${collection}`),
      (answer) => answer.body.model?.id === secondModelId,
      'the API serving generation 2',
    );
    expect(described.body).toMatchObject({ recordings: 9, model: { id: secondModelId, dim } });
    const after = await until(searchFirst, (answer) => answer.body.snapshot.version >= swapped!.version, 'search of generation 2');
    expect(after.body.results[0]).toMatchObject({ id: clips[0]!.name });
    expect(after.body.snapshot.version).toBeGreaterThan(before.body.snapshot.version);
    // Audio queries are embedded with the collection's new model (loaded by the API from modelRef).
    const byUrl = await system.call<SearchBody>('POST', '/v1/search', { collection, k: 3, query: { url: files.urlOf(clips[1]!.file) } });
    expect(byUrl.status).toBe(200);
    expect(byUrl.body.results[0]).toMatchObject({ id: clips[1]!.name });
    expect(byUrl.body.results[0]!.score).toBeGreaterThan(0.99);

    // New items are embedded with the collection's new model.
    expect(await waitForBatch(system, await ingest([afterwards]))).toMatchObject({ indexed: 1, failed: 0 });
    // "missing" for the model the collection has now: nothing to re-embed.
    const missing = await system.call<{ reindexId: string }>('POST', `/v1/collections/${collection}/reindex`, { mode: 'missing', model: modelDirectory });
    expect(missing.status).toBe(202);
    expect(await waitForBatch(system, missing.body.reindexId)).toMatchObject({ total: 0, state: 'done' });
    expect((await latest()).generation).toBe(2);
  });
});
