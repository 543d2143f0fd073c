import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatchLedger, createRedisKeys } from '@audio-index/shared';
import { closeAll, connectTestRedis, createTestBucket } from '../../harness/test-services.ts';
import { injectedApi, type InjectedApi } from './support/injected-api.ts';

type ErrorBody = { error: { code: string; message: string; details?: { path: string; message: string }[] } };

describe('route schemas, in process: bad bodies, params and queries are 400 VALIDATION_FAILED naming each path', () => {
  let api: InjectedApi;

  beforeAll(async () => {
    const { bucket } = await createTestBucket('inject-schemas');
    api = await injectedApi(bucket);
  });

  afterAll(async () => {
    await api?.close();
    await closeAll();
  });

  it('names the offending paths of each bad request', async () => {
    const cases: { name: string; method: 'GET' | 'POST' | 'DELETE'; url: string; body?: unknown; paths: string[] }[] = [
      { name: 'ingest: no items', method: 'POST', url: '/v1/ingest', body: {}, paths: ['items'] },
      { name: 'ingest: empty items', method: 'POST', url: '/v1/ingest', body: { items: [] }, paths: ['items'] },
      // Not a URL, and so no scheme either: one issue per check, as parseRequest always answered.
      {
        name: 'ingest: bad url',
        method: 'POST',
        url: '/v1/ingest',
        body: { items: [{ url: 'https://example.com/a.wav' }, { url: 'not a url' }] },
        paths: ['items.1.url', 'items.1.url'],
      },
      {
        name: 'ingest: bad collection name',
        method: 'POST',
        url: '/v1/ingest',
        body: { collection: 'Bad Name!', items: [{ url: 'https://example.com/a.wav' }] },
        paths: ['collection'],
      },
      { name: 'ingest: bad source', method: 'POST', url: '/v1/ingest', body: { source: 42 }, paths: ['source'] },
      { name: 'ingest: not an object', method: 'POST', url: '/v1/ingest', body: '[1,2]', paths: [''] },
      { name: 'search: k 0 and no query', method: 'POST', url: '/v1/search', body: { k: 0 }, paths: ['k', 'query'] },
      {
        name: 'search: segments with groupBy segment',
        method: 'POST',
        url: '/v1/search',
        body: { groupBy: 'segment', segments: 2, query: { vector: [1] } },
        paths: ['segments'],
      },
      {
        name: 'search: query url over 4096 chars',
        method: 'POST',
        url: '/v1/search',
        body: { query: { url: `https://example.com/a.wav?${'q'.repeat(4096)}` } },
        paths: ['query.url'],
      },
      { name: 'search audio: k in the query', method: 'POST', url: '/v1/search/audio?k=zero', paths: ['k'] },
      { name: 'collection param', method: 'GET', url: '/v1/collections/Bad%20Name', paths: ['collection'] },
      { name: 'snapshot version param', method: 'POST', url: '/v1/collections/music/snapshots/-1/activate', paths: ['version'] },
      { name: 'reindex mode', method: 'POST', url: '/v1/collections/music/reindex', body: { mode: 'sometimes' }, paths: ['mode'] },
    ];
    const got: string[] = [];
    for (const testCase of cases) {
      const answer = await api.call<ErrorBody>(testCase.method, testCase.url, testCase.body === undefined ? {} : { body: testCase.body });
      const paths = answer.body.error?.details?.map((issue) => issue.path) ?? [];
      got.push(`${testCase.name}: ${answer.status} ${answer.body.error?.code} [${paths.join(', ')}]`);
    }
    expect(got).toEqual(cases.map((testCase) => `${testCase.name}: 400 VALIDATION_FAILED [${testCase.paths.join(', ')}]`));
  });

  it("says each issue in the message too, as parseRequest's callers always had it", async () => {
    const answer = await api.call<ErrorBody>('POST', '/v1/ingest', { body: { items: [{ url: 'ftp://example.com/a.wav' }], collection: 'Bad Name!' } });
    const [collection, url] = answer.body.error.details!.map((issue) => issue.message);
    expect([answer.body.error.message, url]).toEqual([`collection: ${collection}; items.0.url: ${url}`, 'url scheme must be http, https, s3 or file']);
  });

  it('answers JSON that does not parse as 400 VALIDATION_FAILED', async () => {
    const answer = await api.call<ErrorBody>('POST', '/v1/ingest', { body: '{"items": [' });
    expect([answer.status, answer.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
  });

  it('accepts a valid ingest as 202, and answers the batch as the ledger has it (the schema drops no field)', async () => {
    const accepted = await api.call<{ batchId: string; collection: string; accepted: number; items: { id: string; url: string }[] }>('POST', '/v1/ingest', {
      body: { collection: 'inject-schemas', items: [{ url: 'https://example.com/a.wav', id: 'a', metadata: { n: 1 } }] },
    });
    expect([accepted.status, accepted.body.accepted, accepted.body.items]).toEqual([202, 1, [{ id: 'a', url: 'https://example.com/a.wav' }]]);
    const batch = await api.call('GET', `/v1/batches/${accepted.body.batchId}`);
    const ledger = new BatchLedger(connectTestRedis(), createRedisKeys(api.namespace));
    expect([batch.status, batch.body]).toEqual([200, JSON.parse(JSON.stringify(await ledger.status(accepted.body.batchId)))]);
    const unknown = await api.call<ErrorBody>('GET', '/v1/batches/no-such-batch');
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'BATCH_NOT_FOUND']);
  });
});
