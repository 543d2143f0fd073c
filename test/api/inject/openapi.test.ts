import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, createTestBucket } from '../../harness/test-services.ts';
import { injectedApi, type InjectedApi } from './support/injected-api.ts';

type OpenApiDocument = {
  paths: Record<string, Record<string, { requestBody?: unknown; parameters?: { name: string; in: string }[]; responses?: Record<string, unknown> }>>;
};

describe('the OpenAPI document, in process', () => {
  let api: InjectedApi;

  beforeAll(async () => {
    const { bucket } = await createTestBucket('inject-openapi');
    api = await injectedApi(bucket);
  });

  afterAll(async () => {
    await api?.close();
    await closeAll();
  });

  it('lists every v1 route with its method', async () => {
    const doc = (await api.call<OpenApiDocument>('GET', '/docs/json')).body;
    const listed = Object.entries(doc.paths)
      .filter(([route]) => route.startsWith('/v1/'))
      .flatMap(([route, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${route}`))
      .sort();
    expect(listed).toEqual(
      [
        'POST /v1/ingest',
        'GET /v1/batches/{batchId}',
        'POST /v1/search',
        'POST /v1/search/audio',
        'GET /v1/collections',
        'GET /v1/collections/{collection}',
        'DELETE /v1/collections/{collection}',
        'DELETE /v1/collections/{collection}/items/{id}',
        'GET /v1/collections/{collection}/items/{id}/audio',
        'POST /v1/collections/{collection}/vectors',
        'POST /v1/collections/{collection}/reindex',
        'GET /v1/collections/{collection}/snapshots',
        'POST /v1/collections/{collection}/snapshots/{version}/activate',
      ].sort(),
    );
  });

  it('describes the ingest body and the batch answer', async () => {
    const doc = (await api.call<OpenApiDocument>('GET', '/docs/json')).body;
    const ingest = doc.paths['/v1/ingest']!.post!;
    const batch = doc.paths['/v1/batches/{batchId}']!.get!;
    expect(JSON.stringify(ingest.requestBody)).toContain('"items"');
    expect(JSON.stringify(ingest.requestBody)).toContain('"source"');
    expect(Object.keys(ingest.responses ?? {})).toContain('202');
    expect(batch.parameters?.map((parameter) => `${parameter.in} ${parameter.name}`)).toEqual(['path batchId']);
    expect(JSON.stringify(batch.responses?.['200'])).toContain('"failures"');
  });
});
