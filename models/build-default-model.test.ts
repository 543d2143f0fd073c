import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { buildDefaultModel, defaultModelCard, defaultModelDirectory, EMBEDDING_DIM } from './build-default-model.ts';
import { melFilterbank } from './mel-filterbank.ts';

describe('default model', () => {
  it('regenerates byte for byte as the committed model.onnx and card.json', () => {
    const committed = readFileSync(resolve(defaultModelDirectory, 'model.onnx'));
    expect(Buffer.from(buildDefaultModel()).equals(committed)).toBe(true);
    const card = JSON.parse(readFileSync(resolve(defaultModelDirectory, 'card.json'), 'utf8'));
    expect(card).toEqual(defaultModelCard);
  });

  it('gives every mel band some FFT bins', () => {
    const bands = 64;
    const matrix = melFilterbank({ sampleRate: 16_000, fftSize: 512, melBands: bands, lowHz: 20, highHz: 8000 });
    for (let band = 0; band < bands; band++) {
      let weight = 0;
      for (let bin = 0; bin < 257; bin++) weight += matrix[bin * bands + band]!;
      expect(weight, `band ${band}`).toBeGreaterThan(0.5);
    }
  });

  it('runs a batch in ONNX Runtime, deterministically, with a zero vector for silence', async () => {
    const session = await ort.InferenceSession.create(Buffer.from(buildDefaultModel()));
    const samples = 16_000;
    const input = new Float32Array(2 * samples);
    for (let i = 0; i < samples; i++) input[i] = 0.5 * Math.sin((2 * Math.PI * 440 * i) / 16_000);
    const run = async () => {
      const output = await session.run({ audio: new ort.Tensor('float32', input, [2, samples]) });
      return output.embedding!;
    };
    const first = await run();
    const second = await run();
    expect(first.dims).toEqual([2, EMBEDDING_DIM]);
    expect(first.data).toEqual(second.data);
    const [tone, silence] = [0, 1].map((row) => (first.data as Float32Array).subarray(row * EMBEDDING_DIM, (row + 1) * EMBEDDING_DIM));
    expect(tone!.every(Number.isFinite)).toBe(true);
    expect(tone!.some((value) => value !== 0)).toBe(true);
    expect(silence!.every((value) => value === 0)).toBe(true);
    await session.release();
  });
});
