import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDefaultModel, EMBEDDING_DIM, SAMPLE_RATE } from './build-default-model.ts';

/**
 * The properties of the default model that retrieval relies on, on generated signals
 * (bench/quality measures the same on real recordings). Clips here are under the card's
 * 10 s window, so one model run is what the embedder would do; vectors are L2-normalised
 * as the embedder does.
 */
describe('default model, for retrieval', () => {
  let session: ort.InferenceSession;
  beforeAll(async () => {
    session = await ort.InferenceSession.create(Buffer.from(buildDefaultModel()));
  });
  afterAll(() => session.release());

  async function embed(samples: Float32Array): Promise<Float32Array> {
    const output = await session.run({ audio: new ort.Tensor('float32', samples, [1, samples.length]) });
    const vector = output.embedding!.data as Float32Array;
    expect(vector).toHaveLength(EMBEDDING_DIM);
    const length = Math.hypot(...vector);
    return vector.map((value) => value / length);
  }

  const signals: Record<string, () => Float32Array> = {
    'harmonic tone 220 Hz': () => generate(2, (t) => [1, 2, 3, 4, 5].reduce((sum, k) => sum + Math.sin(2 * Math.PI * 220 * k * t) / k, 0) * 0.3),
    'tone 2 kHz': () => generate(2, (t) => 0.5 * Math.sin(2 * Math.PI * 2000 * t)),
    'C major chord': () => generate(2, (t) => [261.6, 329.6, 392].reduce((sum, hz) => sum + 0.25 * Math.sin(2 * Math.PI * hz * t), 0)),
    'white noise': () => whiteNoise(2, 0.2, 1),
    'brown noise': () => {
      // Leaky integral of white noise: power falls 6 dB per octave.
      const white = whiteNoise(2, 0.3, 2);
      let level = 0;
      return white.map((value) => (level = 0.98 * level + 0.1 * value));
    },
    'rising sweep': () => sweep(2, 200, 3000),
    'falling sweep (the rising one reversed)': () => sweep(2, 200, 3000).reverse(),
    'pulsed tone 660 Hz': () => generate(2, (t) => 0.5 * Math.sin(2 * Math.PI * 660 * t) * Math.max(0, Math.sin(2 * Math.PI * 4 * t))),
  };

  it('gives (almost) the same vector for a quieter or louder copy', async () => {
    for (const [name, make] of Object.entries(signals)) {
      const original = await embed(make());
      for (const gain of [0.5, 0.05, 1.8]) {
        const copy = make().map((value) => value * gain);
        expect(cosine(original, await embed(copy)), `${name} x${gain}`).toBeGreaterThan(0.99);
      }
    }
  });

  it('keeps different signals apart, including a sweep from the same sweep reversed', async () => {
    const entries = await Promise.all(Object.entries(signals).map(async ([name, make]) => [name, await embed(make())] as const));
    for (const [i, [nameA, a]] of entries.entries()) {
      for (const [nameB, b] of entries.slice(i + 1)) expect(cosine(a, b), `${nameA} / ${nameB}`).toBeLessThan(0.8);
    }
  });

  it('finds a copy with white noise at 20 dB SNR closest to its original', async () => {
    const originals = await Promise.all(Object.values(signals).map((make) => embed(make())));
    for (const [index, make] of Object.values(signals).entries()) {
      const noisy = await embed(addNoise(make(), 20, 100 + index));
      const scores = originals.map((original) => cosine(noisy, original));
      expect(scores[index], Object.keys(signals)[index]).toBeGreaterThan(0.95);
      expect(Math.max(...scores)).toBe(scores[index]);
    }
  });
});

function generate(seconds: number, value: (t: number, index: number) => number): Float32Array {
  return Float32Array.from({ length: Math.round(seconds * SAMPLE_RATE) }, (_, index) => value(index / SAMPLE_RATE, index));
}

function sweep(seconds: number, fromHz: number, toHz: number): Float32Array {
  // Exponential chirp: phase is the integral of the instantaneous frequency.
  const rate = Math.log(toHz / fromHz) / seconds;
  return generate(seconds, (t) => 0.5 * Math.sin((2 * Math.PI * fromHz * (Math.exp(rate * t) - 1)) / rate));
}

/** Uniform white noise from a fixed-seed generator (xorshift32), so the test is deterministic. */
function whiteNoise(seconds: number, amplitude: number, seed: number): Float32Array {
  let state = seed * 2654435761 || 1;
  return generate(seconds, () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return amplitude * ((state >>> 0) / 2 ** 31 - 1);
  });
}

function addNoise(samples: Float32Array, snrDb: number, seed: number): Float32Array {
  const power = samples.reduce((sum, value) => sum + value * value, 0) / samples.length;
  // Uniform noise on [-a, a] has power a^2 / 3.
  const noise = whiteNoise(samples.length / SAMPLE_RATE, Math.sqrt((3 * power) / 10 ** (snrDb / 10)), seed);
  return samples.map((value, i) => value + noise[i]!);
}

function cosine(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += a[i]! * b[i]!;
  return dot;
}
