import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelCard } from '@audio-index/embedding';
import { ProcessSystem } from '../support/process-system.ts';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { closeAll, createTestBucket, createTestS3Client, testServiceEnv, uniqueName } from '../harness/test-services.ts';
import { toneClip, wavBytes } from '../worker/support/wav-audio.ts';

type ErrorBody = { error: { code: string; message: string; details?: { requestId?: string } } };

/**
 * Errors say nothing internal (issue 11, item 8). The worker's and the API's TMPDIR is an
 * immutable directory (chattr +i: even root cannot create files in it; tsx's cache directory
 * inside it is made beforehand), so every scratch copy fails with Node's EPERM, an errno error
 * that is no AppError. Before: the s3:// item failed `FETCH_FAILED` "download failed: EPERM:
 * operation not permitted, open '<scratch path>'" (earlier still, with code `EPERM`), and an
 * upload was answered 500 `{code: "EPERM", message: "EPERM: operation not permitted, open
 * '<scratch path>'"}`. Now: the item fails SCRATCH_WRITE_FAILED (this worker's scratch space,
 * not the source; retried), and the API answers 500 INTERNAL naming only the request id, and
 * logs the error under that id.
 */
describe('only AppError codes reach clients and batches', () => {
  const collection = uniqueName('internal');
  let directory: string;
  let immutableTemp: string;
  let s3Item: string;
  let system: ProcessSystem;

  beforeAll(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-internal-'));
    fs.writeFileSync(path.join(directory, 'tone.wav'), wavBytes(toneClip(9, 0.5)));
    immutableTemp = path.join(directory, 'immutable-tmp');
    fs.mkdirSync(path.join(immutableTemp, `tsx-${process.getuid?.() ?? 0}`), { recursive: true });
    execFileSync('chattr', ['+i', immutableTemp]);
    const { bucket } = await createTestBucket('reliability-internal');
    await createTestS3Client().send(new PutObjectCommand({ Bucket: bucket, Key: 'tone.wav', Body: fs.readFileSync(path.join(directory, 'tone.wav')) }));
    s3Item = `s3://${bucket}/tone.wav`;
    // The indexer keeps the usual TMPDIR; the worker and the API get the immutable one.
    system = await ProcessSystem.start({
      services: testServiceEnv(),
      bucket,
      namespace: uniqueName('rel').slice(0, 32).replace(/-+$/, ''),
      workers: 0,
      apis: 0,
    });
    await system.startWorker({ TMPDIR: immutableTemp, S3_ALLOWED_BUCKETS: bucket });
    await system.startApi({ TMPDIR: immutableTemp, S3_ALLOWED_BUCKETS: bucket });
    const dim = loadModelCard('default').dim;
    const seeded = await system.call<{ batchId: string }>('POST', `/v1/collections/${collection}/vectors`, {
      body: { items: [{ id: 'seed', vector: Array.from({ length: dim }, (_, index) => Math.cos(index)) }] },
    });
    expect(seeded.status).toBe(202);
    await system.waitForBatch(seeded.body.batchId);
  });

  afterAll(async () => {
    await system?.stop();
    if (immutableTemp) execFileSync('chattr', ['-i', immutableTemp]);
    if (directory) fs.rmSync(directory, { recursive: true, force: true });
    await closeAll();
  });

  it('a scratch write errno fails an item as SCRATCH_WRITE_FAILED (retried), never as its errno code nor with its message', async () => {
    const accepted = await system.call<{ batchId: string }>('POST', '/v1/ingest', { body: { collection, items: [{ id: 'scratch-fails', url: s3Item }] } });
    expect(accepted.status).toBe(202);
    const status = await system.waitForBatch(accepted.body.batchId, 90_000);
    expect(status.failures.map((failure) => `${failure.id}: ${failure.code} x${failure.attempts}`)).toEqual(['scratch-fails: SCRATCH_WRITE_FAILED x4']);
    expect(JSON.stringify(status.failures)).not.toMatch(/EPERM|immutable-tmp/);
  }, 120_000);

  it('an upload search answers 500 INTERNAL with the request id only, and the API logs it under that id', async () => {
    const answers = [
      await system.call<ErrorBody>('POST', `/v1/search/audio?collection=${collection}`, {
        body: fs.readFileSync(path.join(directory, 'tone.wav')),
        headers: { 'content-type': 'audio/wav', 'x-request-id': 'req-upload' },
      }),
    ];
    expect(answers.map((answer) => `${answer.status} ${answer.body.error.code} ${answer.body.error.details?.requestId}`)).toEqual(['500 INTERNAL req-upload']);
    for (const answer of answers) {
      expect(answer.body.error.message).toBe(`internal error (request ${answer.body.error.details!.requestId})`);
      expect(JSON.stringify(answer.body)).not.toMatch(/EPERM|immutable-tmp|at .*\.[tj]s:\d+/);
    }
    // The answer can arrive before the child's log line reaches our pipe.
    const logged = /"reqId":"req-upload".*"msg":"unhandled error"|"msg":"unhandled error".*"reqId":"req-upload"/;
    for (let waited = 0; waited < 5000 && !logged.test(system.apis[0]!.output()); waited += 100) await new Promise((resolve) => setTimeout(resolve, 100));
    const log = system.apis[0]!.output();
    for (const id of ['req-upload']) expect(log).toMatch(new RegExp(`"reqId":"${id}".*"msg":"unhandled error"|"msg":"unhandled error".*"reqId":"${id}"`));
    expect(system.crashes()).toEqual([]);
  }, 60_000);
});
