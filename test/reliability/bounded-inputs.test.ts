import http from 'node:http';
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
    system = await ProcessSystem.start({ services: testServiceEnv(), bucket, namespace: uniqueName('rel').slice(0, 32).replace(/-+$/, ''), workers: 0, indexer: false });
  });

  afterAll(async () => {
    await system?.stop();
    await closeAll();
  });

  /** As JSON text: the test's own JSON.stringify would overflow its stack at 10,000 levels. */
  const nested = (depth: number) => `${'{"child":'.repeat(depth - 1)}{"leaf":true}${'}'.repeat(depth - 1)}`;
  const json = (value: unknown) => JSON.stringify(value);
  const ingest = (metadata: string, url = 'https://archive.example/a.wav') =>
    system.call<ErrorBody & { batchId?: string }>('POST', '/v1/ingest', { body: `{"collection":"${collection}","items":[{"url":"${url}","metadata":${metadata}}]}` });

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
      const request = http.request(url, { method: 'POST', headers: { authorization: `Bearer ${system.key}`, 'content-type': 'audio/wav', 'content-length': 60 * 1024 * 1024 } }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve(`${response.statusCode} ${(JSON.parse(text) as ErrorBody).error.code}`));
      });
      request.on('error', reject);
      request.write(Buffer.alloc(1));
    });
    expect(answer).toBe('413 PAYLOAD_TOO_LARGE');
  }, 30_000);
});
