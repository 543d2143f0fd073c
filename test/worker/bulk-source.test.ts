import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, createTestBucket, createTestS3Client, uniqueName } from '../harness/test-services.ts';
import { startSystem, waitForBatch, type BatchView, type RunningSystem } from '../support/running-system.ts';
import { uploadToneArchive } from './support/s3-archive.ts';
import { toneClip, wavBytes } from './support/wav-audio.ts';

interface SourceBatchView extends BatchView {
  listing?: string;
}

/** api -> listing jobs -> item jobs -> indexer, in-process, against the harness's Redis and S3. */
describe('ingesting a bulk source with one request', () => {
  let archiveBucket: string;
  let fileRoot: string;
  let system: RunningSystem;

  beforeAll(async () => {
    archiveBucket = (await createTestBucket('archive')).bucket;
    fileRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'file-root-'));
    const [snapshots] = await Promise.all([createTestBucket('snapshots'), uploadToneArchive(createTestS3Client(), archiveBucket, 'recordings/', 500)]);
    system = await startSystem({
      bucket: snapshots.bucket,
      // Small pages so that 500 objects take five listing jobs.
      env: { LISTING_PAGE_SIZE: '100', WORKER_CONCURRENCY: '16', FILE_ROOT: fileRoot, PUBLISH_INTERVAL_MS: '500', S3_ALLOWED_BUCKETS: archiveBucket },
    });
  });

  afterAll(async () => {
    await system?.stop();
    await closeAll();
    if (fileRoot) fs.rmSync(fileRoot, { recursive: true, force: true });
  });

  // 70-135 s with the machine's two cores shared four ways (load average 15-34): 4-7 items/s,
  // each a GetObject, an ffmpeg run and an embed. Hence the generous timeouts.
  it('indexes all 500 objects under an S3 prefix', async () => {
    const collection = uniqueName('s3-source');
    const accepted = await system.call<{ batchId: string; listing: string }>('POST', '/v1/ingest', {
      collection,
      source: `s3://${archiveBucket}/recordings/`,
    });
    expect(accepted.status).toBe(202);
    expect(accepted.body.listing).toBe('running');

    const batch = (await waitForBatch(system, accepted.body.batchId, 400_000)) as SourceBatchView;
    expect(batch.failures).toEqual([]);
    expect(batch).toMatchObject({ total: 500, embedded: 500, indexed: 500, failed: 0, state: 'done', listing: 'done' });
  }, 420_000);

  it('indexes the files of a directory under FILE_ROOT, nested ones included, and no symlinks', async () => {
    const directory = path.join(fileRoot, 'archive');
    for (const [index, relative] of ['a.wav', 'b/c.wav', 'b/d/e.wav', 'b/f.wav', 'g.wav'].entries()) {
      fs.mkdirSync(path.dirname(path.join(directory, relative)), { recursive: true });
      fs.writeFileSync(path.join(directory, relative), wavBytes(toneClip(1000 + index, 0.5, 8_000), 8_000));
    }
    fs.symlinkSync('/etc/hostname', path.join(directory, 'link.wav'));
    const collection = uniqueName('dir-source');
    const accepted = await system.call<{ batchId: string }>('POST', '/v1/ingest', { collection, source: `file://${directory}/` });
    expect(accepted.status).toBe(202);
    const batch = (await waitForBatch(system, accepted.body.batchId)) as SourceBatchView;
    expect(batch).toMatchObject({ total: 5, indexed: 5, failed: 0, state: 'done', listing: 'done' });
  });

  it('ends the listing of a source that cannot be listed with one failure', async () => {
    const collection = uniqueName('bad-source');
    const outside = await system.call<{ batchId: string }>('POST', '/v1/ingest', { collection, source: 'file:///etc/' });
    const batch = (await waitForBatch(system, outside.body.batchId)) as SourceBatchView;
    expect(batch).toMatchObject({ total: 1, failed: 1, state: 'done', listing: 'done' });
    expect(batch.failures[0]).toMatchObject({ id: 'file:///etc/', code: 'FETCH_FORBIDDEN_ADDRESS' });

    const invalid = await system.call<{ error: { code: string } }>('POST', '/v1/ingest', { collection, source: 'http://example.org/archive/' });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.code).toBe('VALIDATION_FAILED');
  });
});
