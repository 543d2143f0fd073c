import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, CollectionSettings, decodeStreamFields, type StreamOperation } from '@audio-index/shared';
import { closeAll, uniqueName } from '../harness/test-services.ts';
import { toneClip, wavBytes } from './support/wav-audio.ts';
import { startWorkerUnderTest, workerTestEnv, type WorkerUnderTest } from './support/worker-harness.ts';

type Upsert = Extract<StreamOperation, { op: 'upsert' }>;

/** A real worker cuts recordings with its collection's segmentation (docs/segments.md). */
describe('segments in the worker', () => {
  let fileRoot: string;
  let harness: WorkerUnderTest;

  beforeAll(async () => {
    fileRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'worker-segments-'));
    // 23 s: tone A for 8 s, 5 s of digital silence, tone B for 10 s.
    const rate = 16_000;
    const samples = new Float32Array(23 * rate);
    samples.set(toneClip(3, 8), 0);
    samples.set(toneClip(11, 10), 13 * rate);
    fs.writeFileSync(path.join(fileRoot, 'long.wav'), wavBytes(samples));
    fs.writeFileSync(path.join(fileRoot, 'short.wav'), wavBytes(toneClip(5, 2.5)));
    harness = await startWorkerUnderTest(workerTestEnv({ FILE_ROOT: fileRoot, SEGMENT_SECONDS: '4', SEGMENT_HOP_SECONDS: '2' }));
  });

  afterAll(async () => {
    await harness?.stop();
    await closeAll();
    if (fileRoot) fs.rmSync(fileRoot, { recursive: true, force: true });
  });

  async function ingestOne(collection: string, file: string): Promise<Upsert> {
    const batchId = await harness.submit(collection, [{ id: file, url: pathToFileURL(path.join(fileRoot, file)).href }]);
    const status = await harness.waitForOutcomes(batchId);
    expect(status, JSON.stringify(status.failures)).toMatchObject({ embedded: 1, failed: 0 });
    const entries = await harness.redis.xrangeBuffer(harness.keys.stream(collection), '-', '+');
    expect(entries).toHaveLength(1);
    const entry = decodeStreamFields(entries[0]![1]);
    if (entry.op !== 'upsert') throw new Error('expected an upsert');
    return entry;
  }

  it("cuts a long recording into the collection's segments, unit rows in time order, silent ones left out", async () => {
    const collection = uniqueName('seg');
    const entry = await ingestOne(collection, 'long.wav');
    const starts = entry.segments!.map((span) => span.start);
    // Every 2 s from 0, one more aligned to the end (19); [8, 12) lies wholly in the silence and is left out.
    expect(starts).toEqual([0, 2, 4, 6, 10, 12, 14, 16, 18, 19]);
    for (const span of entry.segments!) expect(span.end - span.start).toBeCloseTo(4, 3);
    expect(entry.segmentation).toEqual({ segmentSeconds: 4, hopSeconds: 2 });
    expect(entry.vectors.length).toBe(entry.segments!.length * entry.dim);
    for (let row = 0; row < entry.segments!.length; row += 1) {
      const vector = entry.vectors.subarray(row * entry.dim, (row + 1) * entry.dim);
      expect(Math.hypot(...vector)).toBeCloseTo(1, 5);
    }
    // Segments of different tones differ; segments of the same steady tone agree.
    const dot = (a: number, b: number) => {
      let sum = 0;
      for (let index = 0; index < entry.dim; index += 1) sum += entry.vectors[a * entry.dim + index]! * entry.vectors[b * entry.dim + index]!;
      return sum;
    };
    expect(dot(0, 1)).toBeGreaterThan(0.95);
    expect(dot(0, 8)).toBeLessThan(dot(0, 1));
  });

  it('keeps a clip no longer than one segment as one row over the whole clip', async () => {
    const entry = await ingestOne(uniqueName('seg'), 'short.wav');
    expect(entry.segments).toEqual([{ start: 0, end: 2.5 }]);
    expect(entry.vectors.length).toBe(entry.dim);
  });

  it('cuts with the settings a collection was created with, and refuses other settings for it', async () => {
    const collection = uniqueName('seg');
    const settings = new CollectionSettings(harness.redis, harness.keys);
    expect(await settings.fix(collection, { segmentSeconds: 10, hopSeconds: 5 })).toEqual({ segmentSeconds: 10, hopSeconds: 5 });
    const entry = await ingestOne(collection, 'long.wav');
    expect(entry.segments!.map((span) => span.start)).toEqual([0, 5, 10, 13]);
    await expect(settings.fix(collection, { segmentSeconds: 4, hopSeconds: 2 })).rejects.toSatisfy(
      (error) => error instanceof AppError && error.code === 'SEGMENTATION_MISMATCH',
    );
    expect(await settings.fix(collection)).toEqual({ segmentSeconds: 10, hopSeconds: 5 });
  });
});
