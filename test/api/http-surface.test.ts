import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelCard } from '@audio-index/embedding';
import { createRedisKeys, decodeStreamFields } from '@audio-index/shared';
import { writeSampleClips } from '../../scripts/sample-audio.ts';
import { closeAll, connectTestRedis, createTestBucket, uniqueName } from '../harness/test-services.ts';
import { startApiUnderTest, type ApiUnderTest } from './support/running-api.ts';
import { publishVersion, unitVectors, writeShard } from './support/snapshot-fixture.ts';

type ErrorBody = { error: { code: string; message: string; details?: unknown } };

// The shipped model's id and dimension: audio queries need the collection to use it.
const defaultCard = loadModelCard('default');
const MODEL = { id: defaultCard.id, dim: defaultCard.dim };

describe('the v1 HTTP surface: auth, validation, collections, operations', () => {
  const collection = uniqueName('surface');
  let api: ApiUnderTest;
  let clipFile: string;

  beforeAll(async () => {
    const { bucket } = await createTestBucket('api-surface');
    api = await startApiUnderTest(bucket, { BODY_LIMIT_BYTES: String(256 * 1024), UPLOAD_MAX_BYTES: String(2 * 1024 * 1024), MAX_K: '100' });
    const shard = await writeShard(api.store, collection, 'shard-a', unitVectors(200, MODEL.dim, 7), MODEL.dim, 'a');
    await publishVersion(api.store, connectTestRedis(), api.namespace, { collection, version: 1, model: MODEL, shards: [shard.entry] });
    const clipDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'api-clips-'));
    clipFile = (await writeSampleClips(clipDirectory, 1))[0]!.file;
    for (let attempt = 0; attempt < 100 && (await api.call('GET', `/v1/collections/${collection}`)).status !== 200; attempt += 1) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  });

  afterAll(async () => {
    await api?.stop();
    await closeAll();
  });

  it('answers 401 without a valid key on every route but health', async () => {
    const routes: [string, string][] = [
      ['POST', '/v1/ingest'],
      ['GET', '/v1/batches/b1'],
      ['POST', '/v1/search'],
      ['POST', '/v1/search/audio'],
      ['POST', `/v1/collections/${collection}/vectors`],
      ['DELETE', `/v1/collections/${collection}/items/x`],
      ['GET', '/v1/collections'],
      ['GET', `/v1/collections/${collection}`],
      ['POST', `/v1/collections/${collection}/reindex`],
      ['GET', `/v1/collections/${collection}/snapshots`],
      ['POST', `/v1/collections/${collection}/snapshots/1/activate`],
      ['GET', '/metrics'],
      ['GET', '/docs'],
      ['GET', '/docs/json'],
      ['GET', '/admin/queues'],
    ];
    for (const [method, route] of routes) {
      const bare = await api.call<ErrorBody>(method, route, { auth: false });
      expect(bare.status, `${method} ${route}`).toBe(401);
      expect(bare.body.error.code).toBe('UNAUTHORIZED');
      const wrong = await api.call<ErrorBody>(method, route, { auth: false, headers: { authorization: 'Bearer wrong' } });
      expect(wrong.status, `${method} ${route} wrong key`).toBe(401);
    }
    expect((await api.call('GET', '/healthz', { auth: false })).status).toBe(200);
    expect((await api.call('GET', '/readyz', { auth: false })).status).toBe(200);
    expect((await api.call('GET', '/v1/collections', { auth: false, headers: { authorization: 'Bearer second-key' } })).status).toBe(200);
  });

  it('answers malformed input with 400 and a stable code', async () => {
    const vector = Array.from(unitVectors(1, MODEL.dim, 1));
    const cases: [unknown, number, string][] = [
      [{ collection, query: { vector: [1, 2, 3] } }, 400, 'BAD_VECTOR'],
      [{ collection, query: { vector: vector.map((value, index) => (index === 3 ? 1e39 : value)) } }, 400, 'BAD_VECTOR'],
      [{ collection, query: { vector: vector.map(() => 0) } }, 400, 'BAD_VECTOR'],
      [{ collection, k: 0, query: { vector } }, 400, 'VALIDATION_FAILED'],
      [{ collection, k: 101, query: { vector } }, 400, 'VALIDATION_FAILED'],
      [{ collection, k: 2.5, query: { vector } }, 400, 'VALIDATION_FAILED'],
      [{ collection, query: {} }, 400, 'VALIDATION_FAILED'],
      [{ collection: 'Bad Name', query: { vector } }, 400, 'VALIDATION_FAILED'],
      [{ collection: uniqueName('none'), query: { vector } }, 404, 'COLLECTION_NOT_FOUND'],
    ];
    for (const [body, status, code] of cases) {
      const answer = await api.call<ErrorBody>('POST', '/v1/search', { body });
      expect(answer.status, JSON.stringify(body).slice(0, 80)).toBe(status);
      expect(answer.body.error.code).toBe(code);
      expect(JSON.stringify(answer.body)).not.toMatch(/at .*\.ts:\d+/); // no stack traces
    }
    const nan = await api.call<ErrorBody>('POST', '/v1/search', { body: `{"collection":"${collection}","query":{"vector":[NaN]}}` });
    expect(nan.status).toBe(400);
    expect(nan.body.error.code).toBe('VALIDATION_FAILED');
    const oversized = await api.call<ErrorBody>('POST', '/v1/search', { body: { collection, query: { vector: new Array(80_000).fill(0.5) } } });
    expect(oversized.status).toBe(413);
    expect(oversized.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const path = await api.call<{ error: { details: { path: string }[] } }>('POST', '/v1/search', { body: { collection, k: 0, query: { vector } } });
    expect(path.body.error.details[0]!.path).toBe('k');
  });

  it('lists and describes collections, lists snapshots, and checks activation targets', async () => {
    const list = await api.call<{ collections: { name: string }[] }>('GET', '/v1/collections');
    expect(list.status).toBe(200);
    expect(list.body.collections.map((entry) => entry.name)).toContain(collection);
    const one = await api.call<Record<string, unknown>>('GET', `/v1/collections/${collection}`);
    expect(one.body).toMatchObject({ name: collection, model: MODEL, dim: MODEL.dim, count: 200, shards: 1, snapshot: { version: 1 }, pending: 0 });
    const snapshots = await api.call<{ snapshots: { version: number; count: number; served: boolean }[] }>('GET', `/v1/collections/${collection}/snapshots`);
    expect(snapshots.body.snapshots).toEqual([expect.objectContaining({ version: 1, count: 200, served: true })]);
    const unknownVersion = await api.call<ErrorBody>('POST', `/v1/collections/${collection}/snapshots/99/activate`);
    expect(unknownVersion.status).toBe(404);
    expect(unknownVersion.body.error.code).toBe('SNAPSHOT_NOT_FOUND');
    const unknown = await api.call<ErrorBody>('GET', `/v1/collections/${uniqueName('none')}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('COLLECTION_NOT_FOUND');
    const badMode = await api.call<ErrorBody>('POST', `/v1/collections/${collection}/reindex`, { body: { mode: 'some' } });
    expect(badMode.status).toBe(400);
  });

  it('appends uploaded vectors (normalised) and deletes to the collection stream, in order', async () => {
    const redis = connectTestRedis();
    const stream = createRedisKeys(api.namespace).stream(collection);
    const vector = Array.from({ length: MODEL.dim }, (_, index) => (index === 0 ? 3 : index === 1 ? 4 : 0));
    const accepted = await api.call<{ batchId: string; accepted: number }>('POST', `/v1/collections/${collection}/vectors`, {
      body: { items: [{ id: 'v1', vector, url: 'https://example.org/v1.wav', metadata: { source: 'test' } }] },
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body.accepted).toBe(1);
    const deleted = await api.call('DELETE', `/v1/collections/${collection}/items/a-3`);
    expect(deleted.status).toBe(202);
    const entries = (await redis.xrangeBuffer(stream, '-', '+')).map(([, fields]) => decodeStreamFields(fields));
    expect(entries.map((entry) => entry.op)).toEqual(['upsert', 'delete']);
    const upsert = entries[0]!;
    if (upsert.op !== 'upsert') throw new Error('expected an upsert');
    expect(upsert).toMatchObject({ id: 'v1', modelId: MODEL.id, batchId: accepted.body.batchId, metadata: { source: 'test' } });
    expect(upsert.vectors[0]).toBeCloseTo(0.6, 6);
    expect(upsert.vectors[1]).toBeCloseTo(0.8, 6);
    const batch = await api.call<{ total: number; embedded: number }>('GET', `/v1/batches/${accepted.body.batchId}`);
    expect(batch.body).toMatchObject({ total: 1, embedded: 1 });
    const pending = await api.call<{ pending: number }>('GET', `/v1/collections/${collection}`);
    expect(pending.body.pending).toBe(2);

    const wrongDim = await api.call<ErrorBody>('POST', `/v1/collections/${collection}/vectors`, { body: { items: [{ id: 'x', vector: [1, 2] }] } });
    expect(wrongDim.status).toBe(400);
    expect(wrongDim.body.error.code).toBe('BAD_VECTOR');
    const wrongModel = await api.call<ErrorBody>('POST', `/v1/collections/${collection}/vectors`, { body: { model: 'other', items: [{ id: 'x', vector }] } });
    expect(wrongModel.status).toBe(409);
    expect(wrongModel.body.error.code).toBe('MODEL_MISMATCH');
  });

  it('searches uploaded audio as a raw body and as a multipart file, within the upload limit', async () => {
    const audio = fs.readFileSync(clipFile);
    const raw = await api.call<{ results: unknown[]; snapshot: { version: number } }>('POST', `/v1/search/audio?collection=${collection}&k=3`, {
      body: audio,
      headers: { 'content-type': 'audio/wav' },
    });
    expect(raw.status, JSON.stringify(raw.body)).toBe(200);
    expect(raw.body.results).toHaveLength(3);
    const form = new FormData();
    form.append('file', new Blob([audio]), 'clip.wav');
    const response = await fetch(`${api.api.url}/v1/search/audio?collection=${collection}&k=2`, {
      method: 'POST',
      headers: { authorization: `Bearer ${api.key}` },
      body: form,
    });
    const multipart = (await response.json()) as { results: unknown[] };
    expect(response.status, JSON.stringify(multipart)).toBe(200);
    expect(multipart.results).toHaveLength(2);
    const tooLarge = await api.call<ErrorBody>('POST', `/v1/search/audio?collection=${collection}`, {
      body: Buffer.alloc(3 * 1024 * 1024, 1),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const notAudio = await api.call<ErrorBody>('POST', `/v1/search/audio?collection=${collection}`, {
      body: Buffer.from('definitely not audio'),
      headers: { 'content-type': 'application/octet-stream' },
    });
    expect(notAudio.status).toBe(422);
    expect(notAudio.body.error.code).toBe('NOT_AUDIO');
  });

  it('serves metrics, the OpenAPI document, the queue dashboard and request ids', async () => {
    const metrics = await api.call<string>('GET', '/metrics');
    expect(metrics.status).toBe(200);
    for (const name of [
      'audio_index_search_seconds_bucket',
      'audio_index_query_embed_seconds_bucket',
      'audio_index_queue_jobs',
      'audio_index_snapshot_version',
      'audio_index_snapshot_age_seconds',
      'audio_index_snapshot_vectors',
      'audio_index_stream_lag_entries',
    ]) {
      expect(metrics.body).toContain(name);
    }
    expect(metrics.body).toContain(`audio_index_snapshot_version{collection="${collection}"} 1`);
    const docs = await api.call<{ openapi: string; paths: Record<string, unknown> }>('GET', '/docs/json');
    expect(docs.status).toBe(200);
    expect(Object.keys(docs.body.paths)).toEqual(
      expect.arrayContaining([
        '/v1/search',
        '/v1/search/audio',
        '/v1/collections/{collection}/vectors',
        '/v1/collections/{collection}/snapshots/{version}/activate',
      ]),
    );
    expect(JSON.stringify(docs.body.paths['/v1/search'])).toContain('"k"');
    expect((await api.call('GET', '/admin/queues')).status).toBe(200);
    const traced = await api.call('GET', '/healthz', { headers: { 'x-request-id': 'trace-123' } });
    expect(traced.headers.get('x-request-id')).toBe('trace-123');
  });
});
