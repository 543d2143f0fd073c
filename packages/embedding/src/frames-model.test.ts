import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createEmbedder } from './index.ts';
import { l2Normalise } from './l2-normalise.ts';
import { expectedWindowMean, FRAME_SIZE, writeFramesModel } from './testing/frames-model.ts';
import { concatenate, cosine, sine, whiteNoise } from './testing/signals.ts';

const directory = mkdtempSync(join(tmpdir(), 'frames-model-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

function expectedEmbedding(clip: Float32Array, windowStartsSeconds: number[], windowSeconds: number): Float32Array {
  const sum = new Float64Array(FRAME_SIZE);
  for (const start of windowStartsSeconds) {
    const window = clip.subarray(start * 16_000, (start + windowSeconds) * 16_000);
    expectedWindowMean(window).forEach((value, d) => (sum[d]! += value));
  }
  return l2Normalise(Float32Array.from(sum));
}

describe('an embedder on a frames model ([B, T] -> [B, F, D])', () => {
  it('averages over frames, then over windows', async () => {
    const embedder = await createEmbedder({ model: writeFramesModel(join(directory, 'plain')), executionProvider: 'cpu' });
    try {
      expect(embedder).toMatchObject({ modelId: 'tiny-frames', dim: FRAME_SIZE });
      // 9 s with 4 s windows every 2 s: windows at 0, 2, 4 and one aligned to the end at 5.
      const clip = concatenate(whiteNoise(3, 0.3, 1), sine(300, 3), whiteNoise(3, 0.2, 2));
      const embedded = await embedder.embed(clip);
      expect(cosine(embedded, expectedEmbedding(clip, [0, 2, 4, 5], 4))).toBeGreaterThan(0.99999);

      const short = whiteNoise(1, 0.3, 3);
      expect(cosine(await embedder.embed(short), expectedEmbedding(short, [0], 1))).toBeGreaterThan(0.99999);
    } finally {
      await embedder.close();
    }
  });

  it('applies the zero-mean, unit-variance input normalisation a card asks for', async () => {
    const cardPath = writeFramesModel(join(directory, 'normalised'), { inputNormalization: 'zero-mean-unit-variance' });
    const normalised = await createEmbedder({ model: cardPath, executionProvider: 'cpu' });
    const plain = await createEmbedder({ model: writeFramesModel(join(directory, 'plain-again')), executionProvider: 'cpu' });
    try {
      const clip = whiteNoise(2, 0.3, 4);
      const withOffset = clip.map((sample) => sample + 0.2);
      expect(cosine(await normalised.embed(clip), await normalised.embed(withOffset))).toBeGreaterThan(0.99999);
      expect(cosine(await plain.embed(clip), await plain.embed(withOffset))).toBeLessThan(0.9);
    } finally {
      await Promise.all([normalised.close(), plain.close()]);
    }
  });

  it.each([
    ['a dim the model does not produce', { dim: 16 }],
    ['an input the model does not have', { inputName: 'audio' }],
    ['the wrong output kind', { outputKind: 'pooled' }],
  ])('fails at start with MODEL_CARD_INVALID for a card with %s', async (name, overrides) => {
    const cardPath = writeFramesModel(join(directory, name.replaceAll(' ', '-')), overrides);
    await expect(createEmbedder({ model: cardPath, executionProvider: 'cpu' })).rejects.toMatchObject({ code: 'MODEL_CARD_INVALID' });
  });
});
