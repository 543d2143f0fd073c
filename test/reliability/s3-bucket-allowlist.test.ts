import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessSystem } from '../support/process-system.ts';
import { closeAll, createTestBucket, createTestS3Client, testServiceEnv, uniqueName } from '../harness/test-services.ts';
import { toneClip, wavBytes } from '../worker/support/wav-audio.ts';

type ErrorBody = { error?: { code: string; message: string; details?: { bucket?: string } } };

/**
 * `s3://` sources only from buckets named in config (issue 11, item 13). The deployment's S3
 * credentials read every bucket they reach, the snapshot store included. Before: any caller
 * with a key could ingest, list, search by URL or play any of them. Now `S3_ALLOWED_BUCKETS`
 * names the readable buckets (none by default): the API refuses the others at accept time
 * (422 SOURCE_NOT_ALLOWED, nothing recorded), and a worker refuses them per item, so a worker
 * configured tighter than the API still reads nothing else.
 *
 * Buckets: `archive` (allowed everywhere), `apiOnly` (allowed by the API, not by the worker),
 * `other` (allowed by nobody, holding the same recording), and the store's own bucket.
 */
describe('s3:// sources are read only from S3_ALLOWED_BUCKETS', () => {
  const collection = uniqueName('allowlist');
  const tone = wavBytes(toneClip(21, 1.5));
  let archive: string;
  let apiOnly: string;
  let other: string;
  let store: string;
  let system: ProcessSystem;

  beforeAll(async () => {
    [archive, apiOnly, other, store] = (
      await Promise.all(['allow-archive', 'allow-api-only', 'allow-other', 'allow-store'].map((name) => createTestBucket(name)))
    ).map((created) => created.bucket) as [string, string, string, string];
    const s3 = createTestS3Client();
    for (const bucket of [archive, apiOnly, other]) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'rec/tone.wav', Body: tone }));
    }
    system = await ProcessSystem.start({
      services: testServiceEnv(),
      bucket: store,
      namespace: uniqueName('rel').slice(0, 32).replace(/-+$/, ''),
      workers: 0,
      apis: 0,
    });
    await system.startWorker({ S3_ALLOWED_BUCKETS: archive });
    await system.startApi({ S3_ALLOWED_BUCKETS: `${archive},${apiOnly}` });
  });

  afterAll(async () => {
    await system?.stop();
    await closeAll();
  });

  const codeOf = (answer: { status: number; body: ErrorBody }) => `${answer.status} ${answer.body.error?.code ?? ''}`.trim();

  it('the API refuses other buckets at accept time, the store bucket included, and records nothing', async () => {
    const refused = {
      'item in another bucket': await system.call<ErrorBody>('POST', '/v1/ingest', { body: { collection, items: [{ url: `s3://${other}/rec/tone.wav` }] } }),
      'one such item among allowed ones': await system.call<ErrorBody>('POST', '/v1/ingest', {
        body: { collection, items: [{ url: `s3://${archive}/rec/tone.wav` }, { url: `s3://${other}/rec/tone.wav` }] },
      }),
      'the store bucket': await system.call<ErrorBody>('POST', '/v1/ingest', { body: { collection, items: [{ url: `s3://${store}/snapshots/LATEST` }] } }),
      'a source in another bucket': await system.call<ErrorBody>('POST', '/v1/ingest', { body: { collection, source: `s3://${other}/rec/` } }),
      'a source in the store bucket': await system.call<ErrorBody>('POST', '/v1/ingest', { body: { collection, source: `s3://${store}/snapshots/` } }),
    };
    expect(Object.fromEntries(Object.entries(refused).map(([name, answer]) => [name, codeOf(answer)]))).toEqual({
      'item in another bucket': '422 SOURCE_NOT_ALLOWED',
      'one such item among allowed ones': '422 SOURCE_NOT_ALLOWED',
      'the store bucket': '422 SOURCE_NOT_ALLOWED',
      'a source in another bucket': '422 SOURCE_NOT_ALLOWED',
      'a source in the store bucket': '422 SOURCE_NOT_ALLOWED',
    });
    expect(refused['item in another bucket'].body.error?.details?.bucket).toBe(other);
    expect(await system.redis.keys(system.keys.batch(collection, '*'))).toEqual([]);
    expect(await system.redis.smembers(system.keys.collections)).not.toContain(collection);
  }, 60_000);

  it('a worker refuses a bucket its own list leaves out (SOURCE_NOT_ALLOWED, not retried), items and listings alike; allowed ones index', async () => {
    const items = await system.call<{ batchId: string }>('POST', '/v1/ingest', {
      body: {
        collection,
        items: [
          { id: 'allowed', url: `s3://${archive}/rec/tone.wav` },
          { id: 'worker-refuses', url: `s3://${apiOnly}/rec/tone.wav` },
        ],
      },
    });
    expect(items.status).toBe(202);
    const itemsDone = await system.waitForBatch(items.body.batchId, 90_000);
    expect(itemsDone).toMatchObject({ total: 2, indexed: 1, failed: 1 });
    expect(itemsDone.failures.map((failure) => `${failure.id}: ${failure.code} x${failure.attempts}`)).toEqual(['worker-refuses: SOURCE_NOT_ALLOWED x1']);
    const listing = await system.call<{ batchId: string }>('POST', '/v1/ingest', { body: { collection, source: `s3://${apiOnly}/rec/` } });
    expect(listing.status).toBe(202);
    const listingDone = await system.waitForBatch(listing.body.batchId, 60_000);
    expect(listingDone).toMatchObject({ total: 1, failed: 1 });
    expect(listingDone.failures.map((failure) => `${failure.code} x${failure.attempts}`)).toEqual(['SOURCE_NOT_ALLOWED x1']);
  }, 120_000);

  it('URL queries and item audio read allowed buckets and refuse the others with 422 SOURCE_NOT_ALLOWED', async () => {
    const search = (url: string) =>
      system.call<ErrorBody & { results?: { id: string }[] }>('POST', '/v1/search', { body: { collection, k: 3, query: { url } } });
    const allowed = await search(`s3://${archive}/rec/tone.wav`);
    expect(allowed.status, JSON.stringify(allowed.body).slice(0, 300)).toBe(200);
    expect(allowed.body.results?.[0]?.id).toBe('allowed');
    expect(codeOf(await search(`s3://${other}/rec/tone.wav`))).toBe('422 SOURCE_NOT_ALLOWED');
    expect(codeOf(await search(`s3://${store}/snapshots/LATEST`))).toBe('422 SOURCE_NOT_ALLOWED');

    // An imported vector may name any URL; playing it is what the list guards.
    const dim = (await system.call<{ dim: number }>('GET', `/v1/collections/${collection}`)).body.dim;
    const imported = await system.call<{ batchId: string }>('POST', `/v1/collections/${collection}/vectors`, {
      body: { items: [{ id: 'elsewhere', url: `s3://${other}/rec/tone.wav`, vector: Array.from({ length: dim }, (_, index) => Math.sin(index + 1)) }] },
    });
    expect(imported.status).toBe(202);
    await system.waitForBatch(imported.body.batchId, 60_000);
    const play = (id: string) =>
      fetch(`${system.apiUrl()}/v1/collections/${collection}/items/${id}/audio`, { headers: { authorization: `Bearer ${system.key}` } });
    const played = await play('allowed');
    expect(played.status).toBe(200);
    expect(Buffer.from(await played.arrayBuffer()).equals(tone)).toBe(true);
    // The API polls for new snapshots: the imported row may take a publish to be served.
    let refused: Response | undefined;
    for (let attempt = 0; attempt < 40; attempt += 1) {
      refused = await play('elsewhere');
      if (refused.status !== 404) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    expect(`${refused!.status} ${((await refused!.json()) as ErrorBody).error?.code}`).toBe('422 SOURCE_NOT_ALLOWED');
    expect(system.crashes()).toEqual([]);
  }, 120_000);
});
