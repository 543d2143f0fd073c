import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelCard } from '@audio-index/embedding';
import { auditLatestSnapshot } from '../support/snapshot-audit.ts';
import { ProcessSystem, type BatchStatus } from '../support/process-system.ts';
import { closeAll, createTestBucket, testServiceEnv, uniqueName } from '../harness/test-services.ts';
import { toneClip, wavBytes } from '../worker/support/wav-audio.ts';
import { ARCHIVE_HOST, FETCH_MAX_BYTES, startBadInputServers, wavWithHeader, type BadInputServers } from './support/bad-input-fixtures.ts';

type ErrorBody = { error: { code: string; message: string; details?: unknown } };

/**
 * The bad-input corpus, over real HTTP against api, worker and indexer as separate processes
 * with production address rules (no private networks; only the archive's 127.0.0.2 is allowed).
 * Every case gets its documented code, no process dies, and the snapshot ends up holding
 * exactly the good items: nothing of a refused request or a failed item is indexed.
 */
const DIM = loadModelCard('default').dim;
const MAX_K = 50;
const MAX_ITEMS = 100;
const MAX_VECTORS = 50;
const BODY_LIMIT = 256 * 1024;

function unitVector(seed: number): number[] {
  return Array.from({ length: DIM }, (_, index) => Math.sin(seed * 13.37 + index * 0.7));
}

describe('bad input over HTTP: each case gets its code, nothing crashes, nothing partial is indexed', () => {
  const collection = uniqueName('corpus');
  let servers: BadInputServers;
  let system: ProcessSystem;
  /** Ids that must be in the final snapshot, and nothing else. */
  const expectedIds = new Set<string>();

  beforeAll(async () => {
    servers = await startBadInputServers();
    const { bucket } = await createTestBucket('reliability-corpus');
    system = await ProcessSystem.start({
      services: testServiceEnv(),
      bucket,
      namespace: uniqueName('rel').slice(0, 32).replace(/-+$/, ''),
      env: {
        ALLOW_PRIVATE_NETWORKS: 'false',
        FETCH_ALLOWED_NETWORKS: `${ARCHIVE_HOST}/32`,
        FILE_ROOT: servers.fileRoot,
        // Allowed, so that the missing bucket is a per-item FETCH_NOT_FOUND (s3-bucket-allowlist.test.ts: the others).
        S3_ALLOWED_BUCKETS: 'no-such-bucket-here',
        FETCH_MAX_BYTES: String(FETCH_MAX_BYTES),
        // Long enough that a good fetch on two busy cores never times out (a timeout is a
        // retry, and attempts are part of what is checked), short enough for hanging servers.
        FETCH_CONNECT_TIMEOUT_MS: '2000',
        FETCH_TOTAL_TIMEOUT_MS: '3000',
        FETCH_MAX_REDIRECTS: '3',
        MAX_AUDIO_SECONDS: '5',
        QUERY_MAX_AUDIO_SECONDS: '5',
        // Also the API's decode limit for uploads: ffmpeg on two busy cores needs headroom.
        QUERY_FETCH_TIMEOUT_MS: '20000',
        WORKER_CONCURRENCY: '16',
        MAX_K: String(MAX_K),
        MAX_ITEMS_PER_REQUEST: String(MAX_ITEMS),
        MAX_VECTORS_PER_REQUEST: String(MAX_VECTORS),
        BODY_LIMIT_BYTES: String(BODY_LIMIT),
        UPLOAD_MAX_BYTES: String(BODY_LIMIT),
      },
    });
    // A published snapshot to search: three vectors through the same path as embedded audio.
    const seeded = await system.call<{ batchId: string }>('POST', `/v1/collections/${collection}/vectors`, {
      body: { items: [0, 1, 2].map((seed) => ({ id: `seed-${seed}`, vector: unitVector(seed) })) },
    });
    expect(seeded.status, JSON.stringify(seeded.body)).toBe(202);
    ['seed-0', 'seed-1', 'seed-2'].forEach((id) => expectedIds.add(id));
    await system.waitForBatch(seeded.body.batchId);
    await waitUntilSearchable(system, collection, 'seed-2');
  });

  afterAll(async () => {
    await system?.stop();
    await servers?.close();
    await closeAll();
  });

  it('answers every malformed request with its status and code, and records nothing for it', async () => {
    const vector = unitVector(9);
    const c = collection;
    const ok = servers.archive.url('/ok.wav');
    const cases: { name: string; method: string; route: string; body?: unknown; headers?: Record<string, string>; status: number; code: string }[] = [
      // ingest: JSON and shapes
      { name: 'malformed JSON', method: 'POST', route: '/v1/ingest', body: '{"items": [', status: 400, code: 'VALIDATION_FAILED' },
      { name: 'JSON array body', method: 'POST', route: '/v1/ingest', body: '[]', status: 400, code: 'VALIDATION_FAILED' },
      { name: 'JSON null body', method: 'POST', route: '/v1/ingest', body: 'null', status: 400, code: 'VALIDATION_FAILED' },
      {
        name: 'prototype pollution key',
        method: 'POST',
        route: '/v1/ingest',
        body: `{"__proto__":{"admin":true},"collection":"${c}","items":[{"url":"${ok}"}]}`,
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      { name: 'items is a string', method: 'POST', route: '/v1/ingest', body: { collection: c, items: 'x' }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'items empty', method: 'POST', route: '/v1/ingest', body: { collection: c, items: [] }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'url is a number', method: 'POST', route: '/v1/ingest', body: { collection: c, items: [{ url: 42 }] }, status: 400, code: 'VALIDATION_FAILED' },
      {
        name: 'id is an object',
        method: 'POST',
        route: '/v1/ingest',
        body: { collection: c, items: [{ url: ok, id: { a: 1 } }] },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'metadata is an array',
        method: 'POST',
        route: '/v1/ingest',
        body: { collection: c, items: [{ url: ok, metadata: [1] }] },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      { name: 'empty id', method: 'POST', route: '/v1/ingest', body: { collection: c, items: [{ url: ok, id: '' }] }, status: 400, code: 'VALIDATION_FAILED' },
      {
        name: 'id with a newline',
        method: 'POST',
        route: '/v1/ingest',
        body: { collection: c, items: [{ url: ok, id: 'a\nb' }] },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'id of 513 chars',
        method: 'POST',
        route: '/v1/ingest',
        body: { collection: c, items: [{ url: ok, id: 'x'.repeat(513) }] },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'url of 5000 chars',
        method: 'POST',
        route: '/v1/ingest',
        body: { collection: c, items: [{ url: `${ok}?${'q'.repeat(5000)}` }] },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'duplicate ids',
        method: 'POST',
        route: '/v1/ingest',
        body: {
          collection: c,
          items: [
            { url: ok, id: 'dup' },
            { url: servers.archive.url('/ok-2.wav'), id: 'dup' },
          ],
        },
        status: 400,
        code: 'DUPLICATE_ITEM_ID',
      },
      {
        name: 'same url twice, no ids',
        method: 'POST',
        route: '/v1/ingest',
        body: { collection: c, items: [{ url: ok }, { url: ok }] },
        status: 400,
        code: 'DUPLICATE_ITEM_ID',
      },
      {
        name: 'ftp scheme',
        method: 'POST',
        route: '/v1/ingest',
        body: { collection: c, items: [{ url: 'ftp://example.org/a.wav' }] },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'javascript scheme',
        method: 'POST',
        route: '/v1/ingest',
        body: { collection: c, items: [{ url: 'javascript:alert(1)' }] },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'gopher scheme',
        method: 'POST',
        route: '/v1/ingest',
        body: { collection: c, items: [{ url: 'gopher://127.0.0.1:6379/_FLUSHALL' }] },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'relative url',
        method: 'POST',
        route: '/v1/ingest',
        body: { collection: c, items: [{ url: '/etc/passwd' }] },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'collection with path traversal',
        method: 'POST',
        route: '/v1/ingest',
        body: { collection: '../../etc', items: [{ url: ok }] },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'collection in upper case',
        method: 'POST',
        route: '/v1/ingest',
        body: { collection: 'Music', items: [{ url: ok }] },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'huge items (over MAX_ITEMS_PER_REQUEST)',
        method: 'POST',
        route: '/v1/ingest',
        body: { collection: c, items: Array.from({ length: MAX_ITEMS + 1 }, (_, i) => ({ url: `${ok}?n=${i}` })) },
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
      {
        name: 'body over BODY_LIMIT_BYTES',
        method: 'POST',
        route: '/v1/ingest',
        body: { collection: c, items: [{ url: ok, metadata: { pad: 'p'.repeat(BODY_LIMIT) } }] },
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
      {
        name: 'text/plain body',
        method: 'POST',
        route: '/v1/ingest',
        body: 'url=x',
        headers: { 'content-type': 'text/plain' },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'XML body',
        method: 'POST',
        route: '/v1/ingest',
        body: '<items/>',
        headers: { 'content-type': 'application/xml' },
        status: 415,
        code: 'VALIDATION_FAILED',
      },
      { name: 'unknown batch', method: 'GET', route: '/v1/batches/b-does-not-exist', status: 404, code: 'BATCH_NOT_FOUND' },
      { name: 'batch id with path traversal', method: 'GET', route: '/v1/batches/..%2F..%2Fetc%2Fpasswd', status: 404, code: 'BATCH_NOT_FOUND' },
      { name: 'unknown route', method: 'GET', route: '/v1/../../etc/passwd', status: 404, code: 'NOT_FOUND' },
      // vectors
      {
        name: 'vector of wrong dimension',
        method: 'POST',
        route: `/v1/collections/${c}/vectors`,
        body: { items: [{ id: 'bad-dim', vector: [1, 2, 3] }] },
        status: 400,
        code: 'BAD_VECTOR',
      },
      {
        name: 'vector holding NaN (bare literal)',
        method: 'POST',
        route: `/v1/collections/${c}/vectors`,
        body: `{"items":[{"id":"nan","vector":[NaN${',0.1'.repeat(DIM - 1)}]}]}`,
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'vector holding Infinity (bare literal)',
        method: 'POST',
        route: `/v1/collections/${c}/vectors`,
        body: `{"items":[{"id":"inf","vector":[Infinity${',0.1'.repeat(DIM - 1)}]}]}`,
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'vector overflowing float32 (1e39)',
        method: 'POST',
        route: `/v1/collections/${c}/vectors`,
        body: { items: [{ id: 'huge', vector: vector.map((v, i) => (i === 5 ? 1e39 : v)) }] },
        status: 400,
        code: 'BAD_VECTOR',
      },
      {
        name: 'vector of zeros',
        method: 'POST',
        route: `/v1/collections/${c}/vectors`,
        body: { items: [{ id: 'zero', vector: vector.map(() => 0) }] },
        status: 400,
        code: 'BAD_VECTOR',
      },
      {
        name: 'vector of strings',
        method: 'POST',
        route: `/v1/collections/${c}/vectors`,
        body: { items: [{ id: 'str', vector: vector.map(String) }] },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'duplicate vector ids',
        method: 'POST',
        route: `/v1/collections/${c}/vectors`,
        body: {
          items: [
            { id: 'd', vector },
            { id: 'd', vector },
          ],
        },
        status: 400,
        code: 'DUPLICATE_ITEM_ID',
      },
      {
        name: 'one bad vector among good ones',
        method: 'POST',
        route: `/v1/collections/${c}/vectors`,
        body: { items: [0, 1, 2, 3, 4].map((n) => ({ id: `partial-${n}`, vector: n === 3 ? vector.map(() => 0) : unitVector(100 + n) })) },
        status: 400,
        code: 'BAD_VECTOR',
      },
      {
        name: 'too many vectors',
        method: 'POST',
        route: `/v1/collections/${c}/vectors`,
        body: { items: Array.from({ length: MAX_VECTORS + 1 }, (_, i) => ({ id: `many-${i}`, vector })) },
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
      {
        name: 'vectors of another model',
        method: 'POST',
        route: `/v1/collections/${c}/vectors`,
        body: { model: 'someone-elses-model', items: [{ id: 'm', vector }] },
        status: 409,
        code: 'MODEL_MISMATCH',
      },
      {
        name: 'collection path traversal in route',
        method: 'POST',
        route: '/v1/collections/..%2F..%2Fetc/vectors',
        body: { items: [{ id: 'x', vector }] },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      // search
      { name: 'k = 0', method: 'POST', route: '/v1/search', body: { collection: c, k: 0, query: { vector } }, status: 400, code: 'VALIDATION_FAILED' },
      { name: 'k negative', method: 'POST', route: '/v1/search', body: { collection: c, k: -5, query: { vector } }, status: 400, code: 'VALIDATION_FAILED' },
      {
        name: 'k above MAX_K',
        method: 'POST',
        route: '/v1/search',
        body: { collection: c, k: MAX_K + 1, query: { vector } },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'k as a string',
        method: 'POST',
        route: '/v1/search',
        body: { collection: c, k: '5', query: { vector } },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      { name: 'k = 1e308', method: 'POST', route: '/v1/search', body: { collection: c, k: 1e308, query: { vector } }, status: 400, code: 'VALIDATION_FAILED' },
      {
        name: 'query of wrong dimension',
        method: 'POST',
        route: '/v1/search',
        body: { collection: c, query: { vector: [1, 0] } },
        status: 400,
        code: 'BAD_VECTOR',
      },
      {
        name: 'query with two kinds',
        method: 'POST',
        route: '/v1/search',
        body: { collection: c, query: { vector, id: 'seed-0' } },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'unknown collection',
        method: 'POST',
        route: '/v1/search',
        body: { collection: uniqueName('nobody'), query: { vector } },
        status: 404,
        code: 'COLLECTION_NOT_FOUND',
      },
      {
        name: 'unknown item as query',
        method: 'POST',
        route: '/v1/search',
        body: { collection: c, query: { id: 'never-ingested' } },
        status: 404,
        code: 'ITEM_NOT_FOUND',
      },
      { name: 'unknown collection described', method: 'GET', route: `/v1/collections/${uniqueName('nobody')}`, status: 404, code: 'COLLECTION_NOT_FOUND' },
      { name: 'unknown snapshot activated', method: 'POST', route: `/v1/collections/${c}/snapshots/999999/activate`, status: 404, code: 'SNAPSHOT_NOT_FOUND' },
      { name: 'audio of an unknown item', method: 'GET', route: `/v1/collections/${c}/items/nope/audio`, status: 404, code: 'ITEM_NOT_FOUND' },
      { name: 'audio of a vector-only item', method: 'GET', route: `/v1/collections/${c}/items/seed-0/audio`, status: 404, code: 'ITEM_NOT_FOUND' },
      // uploaded audio
      {
        name: 'empty audio upload',
        method: 'POST',
        route: `/v1/search/audio?collection=${c}`,
        body: Buffer.alloc(0),
        headers: { 'content-type': 'application/octet-stream' },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
      {
        name: 'text uploaded as audio',
        method: 'POST',
        route: `/v1/search/audio?collection=${c}`,
        body: Buffer.from('not audio at all '.repeat(100)),
        headers: { 'content-type': 'audio/wav' },
        status: 422,
        code: 'NOT_AUDIO',
      },
      {
        name: 'truncated audio upload',
        method: 'POST',
        route: `/v1/search/audio?collection=${c}`,
        body: servers.goodWav.subarray(0, 40),
        headers: { 'content-type': 'audio/wav' },
        status: 422,
        code: 'NOT_AUDIO',
      },
      {
        name: 'upload longer than QUERY_MAX_AUDIO_SECONDS',
        method: 'POST',
        route: `/v1/search/audio?collection=${c}`,
        body: wavBytes(toneClip(3, 8, 8_000), 8_000),
        headers: { 'content-type': 'audio/wav' },
        status: 422,
        code: 'TOO_LONG',
      },
      {
        name: 'upload with a 100 Hz header (20 s)',
        method: 'POST',
        route: `/v1/search/audio?collection=${c}`,
        body: wavWithHeader(toneClip(3, 0.125), 100),
        headers: { 'content-type': 'audio/wav' },
        status: 422,
        code: 'TOO_LONG',
      },
      {
        name: 'upload over UPLOAD_MAX_BYTES',
        method: 'POST',
        route: `/v1/search/audio?collection=${c}`,
        body: Buffer.alloc(BODY_LIMIT + 1, 1),
        headers: { 'content-type': 'application/octet-stream' },
        status: 413,
        code: 'PAYLOAD_TOO_LARGE',
      },
      {
        name: 'audio upload k out of range',
        method: 'POST',
        route: `/v1/search/audio?collection=${c}&k=0`,
        body: servers.goodWav,
        headers: { 'content-type': 'audio/wav' },
        status: 400,
        code: 'VALIDATION_FAILED',
      },
    ];
    const got: string[] = [];
    for (const testCase of cases) {
      const answer = await system.call<ErrorBody | undefined>(testCase.method, testCase.route, { body: testCase.body, headers: testCase.headers });
      got.push(`${testCase.name}: ${answer.status} ${answer.body?.error?.code}`);
      expect(JSON.stringify(answer.body) ?? '', testCase.name).not.toMatch(/at .*\.[tj]s:\d+/); // no stack traces
    }
    // One comparison of the whole table: a failure shows every case that differs at once.
    expect(got).toEqual(cases.map((testCase) => `${testCase.name}: ${testCase.status} ${testCase.code}`));
    expect(cases.length).toBeGreaterThanOrEqual(30);
    expect(system.crashes()).toEqual([]);
  }, 120_000);

  it('refuses header abuse without falling over', async () => {
    // Node's 16 KiB header limit answers 431 before any route runs.
    const bigHeader = await fetch(`${system.apiUrl()}/v1/collections`, { headers: { authorization: `Bearer ${system.key}`, 'x-pad': 'h'.repeat(64 * 1024) } });
    expect(bigHeader.status).toBe(431);
    const manyHeaders: Record<string, string> = { authorization: `Bearer ${system.key}` };
    for (let index = 0; index < 2_000; index += 1) manyHeaders[`x-h${index}`] = 'v';
    // Node keeps the first 2,000 headers (maxHeadersCount) and drops the rest: served or refused, never a crash.
    const many = await fetch(`${system.apiUrl()}/v1/collections`, { headers: manyHeaders }).then(
      (response) => response.status,
      () => 'refused',
    );
    expect([200, 431, 'refused']).toContain(many);
    const bearerLong = await system.call<ErrorBody>('GET', '/v1/collections', { auth: false, headers: { authorization: `Bearer ${'k'.repeat(8_000)}` } });
    expect(bearerLong.status).toBe(401);
    expect((await system.call('GET', '/healthz')).status).toBe(200);
    expect(system.crashes()).toEqual([]);
  });

  it('fails each bad item of a batch with its code and indexes only the good ones', async () => {
    const a = (route: string) => servers.archive.url(route);
    const items: Record<string, { url: string; code?: string; attempts?: number }> = {
      good: { url: a('/ok.wav') },
      'good-file': { url: `file://${servers.fileRoot}/inside.wav` },
      // ids are opaque: path-like ids are stored as they are, never as store paths
      '../../LATEST': { url: a('/ok-2.wav') },
      '..%2F..%2Fmanifests%2F000000000001.json': { url: a('/ok-3.wav') },
      'not-found': { url: a('/nothing-here.wav'), code: 'FETCH_NOT_FOUND' },
      gone: { url: a('/gone.wav'), code: 'FETCH_NOT_FOUND' },
      'server-error': { url: a('/always-500.wav'), code: 'FETCH_FAILED', attempts: 4 },
      hangs: { url: a('/hangs.wav'), code: 'FETCH_FAILED', attempts: 4 },
      trickle: { url: a('/trickle.wav'), code: 'FETCH_FAILED', attempts: 4 },
      'zero-bytes': { url: a('/zero-bytes.wav'), code: 'NOT_AUDIO' },
      truncated: { url: a('/truncated.wav'), code: 'NOT_AUDIO' },
      'text-file': { url: a('/readme.wav'), code: 'NOT_AUDIO' },
      'random-bytes': { url: a('/random-bytes.wav'), code: 'NOT_AUDIO' },
      'declared-enormous': { url: a('/declared-enormous.wav'), code: 'TOO_LARGE' },
      'streamed-enormous': { url: a('/streamed-enormous.wav'), code: 'TOO_LARGE' },
      'too-long': { url: a('/too-long.wav'), code: 'TOO_LONG' },
      'sample-rate-100hz': { url: a('/rate-100hz.wav'), code: 'TOO_LONG' },
      'sample-rate-zero': { url: a('/rate-zero.wav'), code: 'NOT_AUDIO' },
      silent: { url: a('/silent.wav'), code: 'SILENT_AUDIO' },
      'redirect-loop': { url: a('/redirect-loop'), code: 'FETCH_TOO_MANY_REDIRECTS' },
      'redirect-to-file': { url: a('/redirect-to-file'), code: 'UNSUPPORTED_SCHEME' },
      'file-traversal': { url: `file://${servers.fileRoot}/../../etc/passwd`, code: 'FETCH_FORBIDDEN_ADDRESS' },
      'file-encoded-traversal': { url: `file://${servers.fileRoot}/%2e%2e/%2e%2e/etc/passwd`, code: 'FETCH_FORBIDDEN_ADDRESS' },
      'file-symlink-out': { url: `file://${servers.fileRoot}/escape.wav`, code: 'FETCH_FORBIDDEN_ADDRESS' },
      'file-missing': { url: `file://${servers.fileRoot}/missing.wav`, code: 'FETCH_NOT_FOUND' },
      'file-root-itself': { url: `file://${servers.fileRoot}/`, code: 'FETCH_NOT_FOUND' },
      's3-missing-bucket': { url: 's3://no-such-bucket-here/a.wav', code: 'FETCH_NOT_FOUND' },
    };
    const accepted = await system.call<{ batchId: string; accepted: number }>('POST', '/v1/ingest', {
      body: { collection, items: Object.entries(items).map(([id, item]) => ({ id, url: item.url })) },
    });
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(202);
    expect(accepted.body.accepted).toBe(Object.keys(items).length);
    const status = await system.waitForBatch(accepted.body.batchId, 110_000);
    const failures = new Map(status.failures.map((failure) => [failure.id, failure]));
    const outcome = (id: string) => {
      const failure = failures.get(id);
      return failure ? `${id}: ${failure.code} x${failure.attempts}` : `${id}: indexed`;
    };
    const expected = Object.entries(items).map(([id, item]) => (item.code ? `${id}: ${item.code} x${item.attempts ?? 1}` : `${id}: indexed`));
    expect(Object.keys(items).map(outcome)).toEqual(expected);
    const good = Object.entries(items)
      .filter(([, item]) => !item.code)
      .map(([id]) => id);
    good.forEach((id) => expectedIds.add(id));
    expect(status).toMatchObject<Partial<BatchStatus>>({
      total: Object.keys(items).length,
      failed: Object.keys(items).length - good.length,
      indexed: good.length,
      state: 'done',
    });
    expect(servers.internal.hits('/ok.wav') + servers.internal.hits('/latest/meta-data/')).toBe(0);
    expect(system.crashes()).toEqual([]);
  }, 180_000);

  it('ends with a loadable snapshot holding exactly the good items, once each', async () => {
    await waitUntilSearchable(system, collection, '../../LATEST');
    const audit = await auditLatestSnapshot(system.store, collection);
    expect(audit.brokenShards).toEqual([]);
    expect(audit.doubled).toEqual([]);
    expect([...audit.rowsById.keys()].sort()).toEqual([...expectedIds].sort());
    // The traversal-looking ids did not overwrite store objects: LATEST still parses (above) and
    // the item is searchable by its id as given.
    const byId = await system.call<{ results: { id: string }[] }>('POST', '/v1/search', { body: { collection, k: 1, query: { id: '../../LATEST' } } });
    expect(byId.status).toBe(200);
    expect(byId.body.results[0]!.id).toBe('../../LATEST');
    expect(system.crashes()).toEqual([]);
    for (const app of system.everything) expect(app.running, `${app.app} ${app.pid}`).toBe(true);
  });
});

async function waitUntilSearchable(system: ProcessSystem, collection: string, id: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await system.call('POST', '/v1/search', { body: { collection, k: 1, query: { id } } });
    if (answer.status === 200) return;
    if (Date.now() > deadline) throw new Error(`${id} not searchable in ${collection}: ${answer.status} ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
