import { readFileSync } from 'node:fs';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder, type Embedder } from './index.ts';
import { l2Normalise } from './l2-normalise.ts';
import { concatenate, cosine, maxAbsDifference, norm, scaled, sine, whiteNoise } from './testing/signals.ts';

// The shipped card is the source of truth: the model evolves (models/), these tests should not break.
const shipped = JSON.parse(readFileSync(new URL('../../../models/default/card.json', import.meta.url), 'utf8')) as { id: string; dim: number };

// Runs through the real inference threads: this also proves the TypeScript thread entry
// loads from inside vitest, not only under tsx.
describe('createEmbedder with the default model', () => {
  let embedder: Embedder;
  beforeAll(async () => {
    embedder = await createEmbedder({ model: 'default', executionProvider: 'cpu' });
  });
  afterAll(() => embedder.close());

  it('describes its model', () => {
    expect(embedder).toMatchObject({ modelId: shipped.id, dim: shipped.dim, sampleRate: 16_000 });
    expect(embedder.card.outputKind).toBe('pooled');
  });

  it('gives the same unit vector for the same input', async () => {
    const clip = concatenate(sine(440, 2), whiteNoise(1));
    const first = await embedder.embed(clip);
    const second = await embedder.embed(clip);
    expect(first).toHaveLength(shipped.dim);
    expect(norm(first)).toBeCloseTo(1, 5);
    expect(second).toEqual(first);
  });

  it('tells tones and noise apart, but not a quieter copy of the same tone', async () => {
    const [low, high, noise, quieter] = await Promise.all([
      embedder.embed(sine(440, 5)),
      embedder.embed(sine(2000, 5)),
      embedder.embed(whiteNoise(5)),
      embedder.embed(scaled(sine(440, 5), 0.5)),
    ]);
    expect(cosine(low!, high!)).toBeLessThan(0.95);
    expect(cosine(low!, noise!)).toBeLessThan(0.95);
    expect(cosine(high!, noise!)).toBeLessThan(0.95);
    expect(cosine(low!, quieter!)).toBeGreaterThan(0.99);
  });

  it.each([
    ['digital silence', () => new Float32Array(16_000)],
    ['an empty clip', () => new Float32Array(0)],
    ['sound below -80 dBFS', () => sine(440, 1, 5e-5)],
  ])('refuses %s with SILENT_AUDIO', async (_, clip) => {
    await expect(embedder.embed(clip())).rejects.toMatchObject({ name: 'EmbeddingError', code: 'SILENT_AUDIO' });
  });

  it('refuses non-finite samples with NOT_AUDIO', async () => {
    const clip = sine(440, 1);
    clip[100] = Number.NaN;
    await expect(embedder.embed(clip)).rejects.toMatchObject({ code: 'NOT_AUDIO' });
  });

  it('embeds a clip shorter than the minimum by looping it', async () => {
    const vector = await embedder.embed(sine(440, 0.1));
    expect(norm(vector)).toBeCloseTo(1, 5);
    expect(cosine(vector, await embedder.embed(sine(440, 5)))).toBeGreaterThan(0.95);
  });

  it('cuts a 35 s clip into 10 s windows every 5 s and averages them', async () => {
    // Seven different 5 s segments, so every window sees something different.
    const clip = concatenate(...[220, 330, 440, 660, 880, 1320, 1760].map((hz) => sine(hz, 5)));
    const session = await ort.InferenceSession.create(embedder.card.modelPath);
    const windowStarts = [0, 5, 10, 15, 20, 25];
    const windowLength = 10 * 16_000;
    const batch = concatenate(...windowStarts.map((start) => clip.subarray(start * 16_000, start * 16_000 + windowLength)));
    const output = await session.run({ audio: new ort.Tensor('float32', batch, [windowStarts.length, windowLength]) });
    const rows = output.embedding!.data as Float32Array;
    const mean = new Float32Array(shipped.dim);
    for (let d = 0; d < shipped.dim; d++) {
      for (let row = 0; row < windowStarts.length; row++) mean[d]! += rows[row * shipped.dim + d]! / windowStarts.length;
    }
    await session.release();

    const embedded = await embedder.embed(clip);
    expect(cosine(embedded, l2Normalise(mean))).toBeGreaterThan(0.99999);
    const wholeClipAtOnce = l2Normalise(await runWhole(embedder.card.modelPath, clip));
    expect(cosine(embedded, wholeClipAtOnce)).toBeLessThan(0.99999);
  });

  it("leaves the caller's samples alone unless asked to transfer them", async () => {
    const clip = sine(440, 1);
    await embedder.embed(clip);
    expect(clip).toHaveLength(16_000);
    const copied = await embedder.embed(clip);
    const transferred = await embedder.embed(clip, { transfer: true });
    expect(clip).toHaveLength(0);
    expect(transferred).toEqual(copied);
  });
});

describe('createEmbedder options', () => {
  it('fails at start with EXECUTION_PROVIDER_UNAVAILABLE when CUDA is missing', async () => {
    await expect(createEmbedder({ model: 'default', executionProvider: 'cuda' })).rejects.toMatchObject({
      name: 'EmbeddingError',
      code: 'EXECUTION_PROVIDER_UNAVAILABLE',
    });
  });

  it('spreads clips over several threads and refuses work once closed', async () => {
    const embedder = await createEmbedder({ model: 'default', executionProvider: 'cpu', threads: 2, intraOpThreads: 1 });
    const clips = [220, 440, 880, 1760].map((hz) => sine(hz, 3));
    const parallel = await Promise.all(clips.map((clip) => embedder.embed(clip)));
    // Concurrent clips share model calls, and ONNX Runtime rounds a [1, T] input differently
    // from a [B>1, T] one (measured: 4e-5 on raw outputs, ~2e-6 on unit vectors).
    for (const [index, clip] of clips.entries()) expect(maxAbsDifference(await embedder.embed(clip), parallel[index]!)).toBeLessThan(1e-5);
    await embedder.close();
    await expect(embedder.embed(clips[0]!)).rejects.toMatchObject({ code: 'EMBEDDER_CLOSED' });
  });
});

async function runWhole(modelPath: string, clip: Float32Array): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(modelPath);
  const output = await session.run({ audio: new ort.Tensor('float32', clip, [1, clip.length]) });
  await session.release();
  return output.embedding!.data as Float32Array;
}
