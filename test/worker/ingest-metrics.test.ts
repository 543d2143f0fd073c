import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, uniqueName } from '../harness/test-services.ts';
import { toneClip, wavBytes } from './support/wav-audio.ts';
import { startWorkerUnderTest, workerTestEnv, type WorkerUnderTest } from './support/worker-harness.ts';

/** A real worker serves its per-stage ingest timing on WORKER_METRICS_PORT. */
describe('worker metrics endpoint', () => {
  let fileRoot: string;
  let harness: WorkerUnderTest;
  let port: number;

  beforeAll(async () => {
    fileRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-metrics-'));
    fs.writeFileSync(path.join(fileRoot, 'a.wav'), wavBytes(toneClip(3, 2)));
    fs.writeFileSync(path.join(fileRoot, 'b.wav'), wavBytes(toneClip(7, 12)));
    // Port 0: the OS picks one; a fixed port would collide with parallel test files.
    harness = await startWorkerUnderTest(workerTestEnv({ FILE_ROOT: fileRoot, WORKER_METRICS_PORT: '0', WORKER_METRICS_HOST: '127.0.0.1' }));
    port = harness.worker.metricsPort!;
  });

  afterAll(async () => {
    await harness?.stop();
    await closeAll();
    if (fileRoot) fs.rmSync(fileRoot, { recursive: true, force: true });
  });

  it('counts every stage of every embedded job, and the audio seconds', async () => {
    const batchId = await harness.submit(
      uniqueName('metrics'),
      ['a.wav', 'b.wav'].map((file) => ({ id: file, url: pathToFileURL(path.join(fileRoot, file)).href })),
    );
    expect(await harness.waitForOutcomes(batchId)).toMatchObject({ embedded: 2, failed: 0 });
    const response = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    for (const stage of ['queue_wait', 'fetch', 'decode', 'embed', 'stream_append']) {
      expect(text).toMatch(new RegExp(`^audio_index_ingest_stage_seconds_count\\{stage="${stage}"\\} 2$`, 'm'));
    }
    expect(Number(/^audio_index_ingest_audio_seconds_total (\S+)$/m.exec(text)?.[1])).toBeCloseTo(14, 3);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });
});
