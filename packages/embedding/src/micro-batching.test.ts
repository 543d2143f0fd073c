import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder, type Embedder } from './index.ts';
import { concatenate, maxAbsDifference, sine, whiteNoise } from './testing/signals.ts';

/** Clips of 3 s (one window each, all the same length) and of 25 s (full 10 s windows). */
function clipsOfMixedLengths(): Float32Array[] {
  const short = [220, 330, 440, 550, 660, 770].map((hz) => concatenate(sine(hz, 2), whiteNoise(1, 0.2, hz)));
  const long = [880, 990, 1100].map((hz) => concatenate(sine(hz, 10), whiteNoise(10, 0.2, hz), sine(hz / 2, 5)));
  const odd = [sine(1234, 1.5), sine(2345, 2.75)];
  return [...short, ...long, ...odd];
}

describe('cross-job micro-batching', () => {
  let batching: Embedder;
  let single: Embedder;
  beforeAll(async () => {
    // A generous wait so that clips submitted in one tick surely meet in one batch.
    batching = await createEmbedder({ model: 'default', executionProvider: 'cpu', batchSize: 16, batchMaxWaitMs: 200 });
    single = await createEmbedder({ model: 'default', executionProvider: 'cpu', batchSize: 1, batchMaxWaitMs: 0 });
  });
  afterAll(async () => {
    await Promise.all([batching?.close(), single?.close()]);
  });

  it('embeds concurrent clips in shared model calls, with the vectors of one-by-one embedding', async () => {
    const clips = clipsOfMixedLengths();
    const together = await Promise.all(clips.map((clip) => batching.embed(clip)));
    const stats = batching.stats();
    expect(stats.clips).toBe(clips.length);
    expect(stats.multiClipCalls).toBeGreaterThan(0);
    expect(stats.modelCalls).toBeLessThan(stats.windows);
    expect(stats.largestCallWindows).toBeGreaterThan(1);

    const alone: Float32Array[] = [];
    for (const clip of clips) alone.push(await single.embed(clip));
    expect(single.stats()).toMatchObject({ multiClipCalls: 0, largestCallWindows: 1 });
    // Equal to float32 rounding, not bit for bit: ONNX Runtime takes another kernel path for a
    // [1, T] input than for [B>1, T] (measured here: ~2e-6 apart on unit vectors).
    together.forEach((vector, index) => expect(maxAbsDifference(vector, alone[index]!), `clip ${index}`).toBeLessThan(1e-5));
  });

  it('fails only the silent clip of a batch', async () => {
    const outcomes = await Promise.allSettled([batching.embed(sine(440, 3)), batching.embed(new Float32Array(48_000)), batching.embed(sine(880, 3))]);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((outcomes[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'SILENT_AUDIO' });
  });
});
