import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, createTestBucket, uniqueName } from '../harness/test-services.ts';
import { startApiUnderTest, type ApiUnderTest } from './support/running-api.ts';
import { bruteForceTopK, publishVersion, unitVectors, writeShard, type FixtureShard } from './support/snapshot-fixture.ts';

interface SearchBody {
  collection: string;
  snapshot: { version: number; count: number; recordings: number };
  results: { id: string; url?: string; score: number; metadata?: Record<string, unknown>; match?: { start: number; end: number | null } }[];
}

const DIM = 64;
const MODEL = { id: 'fixture-model', dim: DIM };

describe('search over HTTP from published snapshots (engine in search threads, real Redis and S3)', () => {
  const collection = uniqueName('search');
  let api: ApiUnderTest;
  let first: FixtureShard;
  let second: FixtureShard;
  const hiddenInFirst = new Set([0, 5, 7]);

  beforeAll(async () => {
    const { bucket } = await createTestBucket('api-search');
    api = await startApiUnderTest(bucket);
    first = await writeShard(api.store, collection, 'shard-a', unitVectors(3000, DIM, 11), DIM, 'a');
    second = await writeShard(api.store, collection, 'shard-b', unitVectors(40_000, DIM, 22), DIM, 'b');
    await publishVersion(api.store, await redisOf(), api.namespace, { collection, version: 1, model: MODEL, shards: [first.entry] });
  });

  afterAll(async () => {
    await api?.stop();
    await closeAll();
  });

  async function redisOf() {
    const { connectTestRedis } = await import('../harness/test-services.ts');
    return connectTestRedis();
  }

  async function search(query: unknown, k: number): Promise<SearchBody> {
    const { status, body } = await api.call<SearchBody>('POST', '/v1/search', { body: { collection, k, query } });
    expect(status, JSON.stringify(body)).toBe(200);
    return body;
  }

  it('answers a vector query with the exact top k, cosine scores descending', async () => {
    const query = unitVectors(1, DIM, 99);
    const body = await search({ vector: Array.from(query, (value) => value * 3) }, 10); // not unit: normalised by the API
    const expected = bruteForceTopK([{ fixture: first }], query, DIM, 10);
    // One row per recording without times (a snapshot older than segments): as many recordings as rows.
    expect(body.snapshot).toEqual({ version: 1, count: 3000, recordings: 3000 });
    expect(body.results.map((hit) => hit.id)).toEqual(expected.map((hit) => hit.id));
    body.results.forEach((hit, rank) => expect(hit.score).toBeCloseTo(expected[rank]!.score, 5));
    expect(body.results[0]).toMatchObject({ url: expect.stringContaining('https://example.org/a/'), metadata: { row: expect.any(Number) } });
    expect(body.results[0]).toMatchObject({ match: { start: 0, end: null }, duration: null });
  });

  it('answers an id query from the stored vector (the item itself first, score 1)', async () => {
    const body = await search({ id: 'a-42' }, 3);
    expect(body.results[0]!.id).toBe('a-42');
    expect(body.results[0]!.score).toBeCloseTo(1, 5);
    const missing = await api.call<{ error: { code: string } }>('POST', '/v1/search', { body: { collection, query: { id: 'nope' } } });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('ITEM_NOT_FOUND');
  });

  it('returns every row when k exceeds the collection', async () => {
    const small = uniqueName('small');
    const shard = await writeShard(api.store, small, 'only', unitVectors(7, DIM, 5), DIM, 's');
    await publishVersion(api.store, await redisOf(), api.namespace, {
      collection: small,
      version: 1,
      model: MODEL,
      shards: [{ ...shard.entry, tombstones: [2] }],
    });
    const { status, body } = await api.call<SearchBody>('POST', '/v1/search', {
      body: { collection: small, k: 50, query: { vector: Array.from(unitVectors(1, DIM, 3)) } },
    });
    expect(status).toBe(200);
    expect(body.results).toHaveLength(6);
    expect(body.results.map((hit) => hit.id)).not.toContain('s-2');
  });

  it('reloads incrementally: tombstones filtered with k still full, answers from exactly one version during the reload', async () => {
    const query = unitVectors(1, DIM, 1234);
    // Make the rows that would rank first in shard a tombstoned in v2, so v1 and v2 answers differ.
    const v1Expected = bruteForceTopK([{ fixture: first }], query, DIM, 20);
    const before = await search({ vector: Array.from(query) }, 20);
    expect(before.results.map((hit) => hit.id)).toEqual(v1Expected.map((hit) => hit.id));
    const topRows = v1Expected.slice(0, 3).map((hit) => Number(hit.id.split('-')[1]));
    const hidden = new Set([...hiddenInFirst, ...topRows]);

    const redis = await redisOf();
    const reload = publishVersion(api.store, redis, api.namespace, {
      collection,
      version: 2,
      model: MODEL,
      shards: [{ ...first.entry, tombstones: [...hidden].sort((a, b) => a - b) }, second.entry],
    });
    // Queries race the reload (shard b, 10 MB, is being fetched and verified meanwhile).
    const during: SearchBody[] = [];
    await reload;
    for (let round = 0; round < 40; round += 1) {
      const body = await search({ vector: Array.from(query) }, 20);
      during.push(body);
      if (body.snapshot.version === 2) break;
    }
    const v2Expected = bruteForceTopK([{ fixture: first, hidden }, { fixture: second }], query, DIM, 20);
    for (const body of during) {
      expect([1, 2]).toContain(body.snapshot.version);
      const expected = body.snapshot.version === 1 ? v1Expected : v2Expected;
      expect(body.results.map((hit) => hit.id)).toEqual(expected.map((hit) => hit.id));
    }
    const after = await waitForVersion(2, query);
    expect(after.snapshot.count).toBe(3000 - hidden.size + 40_000);
    expect(after.results).toHaveLength(20);
    expect(after.results.map((hit) => hit.id)).toEqual(v2Expected.map((hit) => hit.id));
    for (const row of hidden) expect(after.results.map((hit) => hit.id)).not.toContain(`a-${row}`);

    // A version with the same shards (as a rollback publishes) answers identically.
    await publishVersion(api.store, redis, api.namespace, {
      collection,
      version: 3,
      model: MODEL,
      shards: [{ ...first.entry, tombstones: [...hidden].sort((a, b) => a - b) }, second.entry],
    });
    const reloaded = await waitForVersion(3, query);
    expect(reloaded.results).toEqual(after.results);
  });

  async function waitForVersion(version: number, query: Float32Array): Promise<SearchBody> {
    for (let attempt = 0; attempt < 300; attempt += 1) {
      const body = await search({ vector: Array.from(query) }, 20);
      if (body.snapshot.version >= version) return body;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`version ${version} never served`);
  }
});
