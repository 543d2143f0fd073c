import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProcessSystem } from '../support/process-system.ts';
import { closeAll, createTestBucket, testServiceEnv, uniqueName } from '../harness/test-services.ts';

type ErrorBody = { error: { code: string; message: string } };

/**
 * Bounded inputs (issue 11, item 5), against a real API process with the default limits.
 * Before: 4 MiB of metadata on one item was accepted (and copied into the job, the stream and
 * every shard's ids file), and metadata nested 10,000 deep was answered 503 after its batch
 * was recorded. Now both are refused before anything is written.
 */
describe('metadata caps are enforced before a batch exists', () => {
  const collection = uniqueName('bounded');
  let system: ProcessSystem;

  beforeAll(async () => {
    const { bucket } = await createTestBucket('reliability-bounded');
    // The API alone: nothing here may reach a worker.
    system = await ProcessSystem.start({
      services: testServiceEnv(),
      bucket,
      namespace: uniqueName('rel').slice(0, 32).replace(/-+$/, ''),
      workers: 0,
      indexer: false,
    });
  });

  afterAll(async () => {
    await system?.stop();
    await closeAll();
  });

  /** As JSON text: the test's own JSON.stringify would overflow its stack at 10,000 levels. */
  const nested = (depth: number) => `${'{"child":'.repeat(depth - 1)}{"leaf":true}${'}'.repeat(depth - 1)}`;
  const json = (value: unknown) => JSON.stringify(value);
  const ingest = (metadata: string, url = 'https://archive.example/a.wav') =>
    system.call<ErrorBody & { batchId?: string }>('POST', '/v1/ingest', {
      body: `{"collection":"${collection}","items":[{"url":"${url}","metadata":${metadata}}]}`,
    });

  it('answers each over-limit request with its code and records nothing; at the limits it accepts', async () => {
    const cases: [string, string, string][] = [
      ['4 MiB of metadata', json({ pad: 'm'.repeat(4 * 1024 * 1024) }), '413 PAYLOAD_TOO_LARGE'],
      ['16 KiB + 1 byte of metadata', json({ pad: 'm'.repeat(16 * 1024 - 9 + 1) }), '413 PAYLOAD_TOO_LARGE'],
      ['metadata nested 10,000 deep', nested(10_000), '400 VALIDATION_FAILED'],
      ['metadata nested 9 deep', nested(9), '400 VALIDATION_FAILED'],
      ['an array nested 9 deep', json({ a: [[[[[[[[1]]]]]]]] }), '400 VALIDATION_FAILED'],
    ];
    const got: string[] = [];
    for (const [name, metadata] of cases) {
      const answer = await ingest(metadata);
      got.push(`${name}: ${answer.status} ${answer.body.error?.code}`);
    }
    expect(got).toEqual(cases.map(([name, , expected]) => `${name}: ${expected}`));
    expect(await system.redis.keys(system.keys.batch(collection, '*'))).toEqual([]);
    // Exactly at the caps: 16 KiB as JSON ({"pad":"…"} is 10 bytes around the string) and 8 levels.
    const atSize = await ingest(json({ pad: 'm'.repeat(16 * 1024 - 10) }), 'https://archive.example/at-size.wav');
    expect(atSize.status, JSON.stringify(atSize.body).slice(0, 300)).toBe(202);
    const atDepth = await ingest(nested(8), 'https://archive.example/at-depth.wav');
    expect(atDepth.status, JSON.stringify(atDepth.body).slice(0, 300)).toBe(202);
    expect(await system.redis.keys(system.keys.batch(collection, '*'))).toHaveLength(2);
    expect(system.crashes()).toEqual([]);
  }, 120_000);

  it('refuses an upload whose declared length is over UPLOAD_MAX_BYTES before staging it', async () => {
    // 60 MiB declared, 1 byte sent: refused on the header alone (the default limit is 50 MiB).
    const url = new URL(`${system.apiUrl()}/v1/search/audio?collection=${collection}`);
    const answer = await new Promise<string>((resolve, reject) => {
      const request = http.request(
        url,
        { method: 'POST', headers: { authorization: `Bearer ${system.key}`, 'content-type': 'audio/wav', 'content-length': 60 * 1024 * 1024 } },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => resolve(`${response.statusCode} ${(JSON.parse(text) as ErrorBody).error.code}`));
        },
      );
      request.on('error', reject);
      request.write(Buffer.alloc(1));
    });
    expect(answer).toBe('413 PAYLOAD_TOO_LARGE');
  }, 30_000);
});

/**
 * The caps set by environment (MAX_METADATA_BYTES, MAX_METADATA_DEPTH, MAX_ID_LENGTH,
 * MAX_URL_LENGTH, MAX_VECTOR_DIM), the same on ingest and the vectors import, and an upload
 * judged before its body is staged. Before: only the metadata caps existed, at fixed values
 * and on ingest only; the vectors import took any metadata and any dimension for a new
 * collection (a 1,000,000-wide vector fixed that collection's width); an upload for an unknown
 * collection was written to scratch in full, then answered 404.
 */
describe('input caps from the environment, before anything is staged or recorded', () => {
  const collection = uniqueName('caps');
  const vectorCollection = uniqueName('caps-vectors');
  let scratch: string;
  let system: ProcessSystem;

  beforeAll(async () => {
    const { bucket } = await createTestBucket('reliability-caps');
    // The API's own TMPDIR, so that whatever an upload stages can be seen.
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-caps-tmp-'));
    system = await ProcessSystem.start({
      services: testServiceEnv(),
      bucket,
      namespace: uniqueName('rel').slice(0, 32).replace(/-+$/, ''),
      workers: 0,
      indexer: false,
      env: {
        MAX_METADATA_BYTES: '1024',
        MAX_METADATA_DEPTH: '3',
        MAX_ID_LENGTH: '40',
        MAX_URL_LENGTH: '100',
        MAX_VECTOR_DIM: '64',
        MAX_K: '10',
        TMPDIR: scratch,
      },
    });
  });

  afterAll(async () => {
    await system?.stop();
    await closeAll();
    if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
  });

  const url = (length: number) => `https://archive.example/${'a'.repeat(length - 'https://archive.example/'.length)}`;
  const id = (length: number) => 'i'.repeat(length);
  const metadataOf = (bytes: number) => ({ pad: 'm'.repeat(bytes - 10) }); // {"pad":"…"} is 10 bytes around the string
  const deep = { a: { b: { c: { d: 1 } } } }; // 4 levels
  const vector = (dimensions: number) => Array.from({ length: dimensions }, (_, index) => Math.cos(index + 1));
  const codeOf = (answer: { status: number; body: ErrorBody }) => `${answer.status} ${answer.body.error?.code ?? ''}`.trim();

  it('ingest and the vectors import refuse the same over-cap id, URL and metadata with the same codes, and write nothing', async () => {
    const ingest = (item: Record<string, unknown>) =>
      system.call<ErrorBody>('POST', '/v1/ingest', { body: { collection, items: [{ url: url(60), ...item }] } });
    const vectors = (item: Record<string, unknown>) =>
      system.call<ErrorBody>('POST', `/v1/collections/${vectorCollection}/vectors`, {
        body: { model: 'elsewhere-64', items: [{ id: 'v', vector: vector(64), ...item }] },
      });
    const cases: [string, Record<string, unknown>, string][] = [
      ['id of 41 characters', { id: id(41) }, '400 VALIDATION_FAILED'],
      ['url of 101 characters', { url: url(101) }, '400 VALIDATION_FAILED'],
      ['1025 bytes of metadata', { metadata: metadataOf(1025) }, '413 PAYLOAD_TOO_LARGE'],
      ['metadata 4 levels deep', { metadata: deep }, '400 VALIDATION_FAILED'],
    ];
    const got: string[] = [];
    for (const [name, item] of cases) {
      got.push(`ingest, ${name}: ${codeOf(await ingest(item))}`);
      got.push(`vectors, ${name}: ${codeOf(await vectors(item))}`);
    }
    got.push(`vectors, 65 dimensions: ${codeOf(await vectors({ vector: vector(65) }))}`);
    got.push(
      `source url of 101 characters: ${codeOf(await system.call<ErrorBody>('POST', '/v1/ingest', { body: { collection, source: `s3://bucket-name/${'k'.repeat(101 - 17)}` } }))}`,
    );
    expect(got).toEqual([
      ...cases.flatMap(([name, , expected]) => [`ingest, ${name}: ${expected}`, `vectors, ${name}: ${expected}`]),
      'vectors, 65 dimensions: 400 BAD_VECTOR',
      'source url of 101 characters: 400 VALIDATION_FAILED',
    ]);
    // Not a batch, a stream entry, a setting or a collection name: no key names either collection.
    const written = [...(await system.redis.keys(`*${collection}*`)), ...(await system.redis.keys(`*${vectorCollection}*`))];
    expect(written).toEqual([]);
    expect(await system.redis.smembers(system.keys.collections)).toEqual([]);

    // Exactly at the caps, both are accepted.
    // ,"nest":{"two":{"three":1}} is 27 bytes and makes 3 levels.
    const atCaps = { id: id(40), url: url(100), metadata: { ...metadataOf(1024 - 27), nest: { two: { three: 1 } } } };
    expect(Buffer.byteLength(JSON.stringify(atCaps.metadata))).toBe(1024);
    const ingested = await ingest(atCaps);
    expect(ingested.status, JSON.stringify(ingested.body).slice(0, 300)).toBe(202);
    const imported = await vectors({ ...atCaps, vector: vector(64) });
    expect(imported.status, JSON.stringify(imported.body).slice(0, 300)).toBe(202);
    expect(system.crashes()).toEqual([]);
  }, 120_000);

  /**
   * Declares 1 MiB and sends 1 KiB, then waits: an answer now was given before the body was
   * read. An API that stages first would only answer once the rest arrived (never, here) and
   * hold a scratch file meanwhile.
   */
  const partialUpload = (query: string) =>
    new Promise<string>((resolve, reject) => {
      const request = http.request(
        new URL(`${system.apiUrl()}/v1/search/audio?${query}`),
        {
          method: 'POST',
          headers: { authorization: `Bearer ${system.key}`, 'content-type': 'audio/wav', 'content-length': 1024 * 1024 },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => {
            clearTimeout(noAnswer);
            request.destroy();
            resolve(`${response.statusCode} ${(JSON.parse(text) as ErrorBody).error.code}`);
          });
        },
      );
      const noAnswer = setTimeout(() => {
        const staged = fs.readdirSync(scratch).filter((name) => name.startsWith('audio-index-upload-'));
        request.destroy();
        resolve(`no answer while the body was incomplete (staged: ${staged.length} files)`);
      }, 15_000);
      request.on('error', (error) => (request.destroyed ? undefined : reject(error)));
      request.write(Buffer.alloc(1024));
    });

  it('an upload for an unknown collection or with k over MAX_K is answered before its body is read, and nothing is staged', async () => {
    expect(await partialUpload(`collection=${uniqueName('never-made')}`)).toBe('404 COLLECTION_NOT_FOUND');
    expect(await partialUpload(`collection=${collection}&k=11`)).toBe('400 VALIDATION_FAILED');
    expect(fs.readdirSync(scratch).filter((name) => name.startsWith('audio-index-upload-'))).toEqual([]);
    expect(system.crashes()).toEqual([]);
  }, 60_000);
});
