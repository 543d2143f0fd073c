import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  buildDefaultModel,
  buildDefaultModelSplit,
  defaultModelCardFile,
  defaultModelDirectory,
  defaultSharedFrames,
  EMBEDDING_DIM,
  previousDefaultDirectory,
} from './build-default-model.ts';
import { buildStatisticsModel, buildStatisticsModelSplit, statisticsModelCardFile } from './build-statistics-model.ts';
import { melFilterbank } from './mel-filterbank.ts';

describe('default model', () => {
  it('regenerates byte for byte as the committed model.onnx, its front end and head, and card.json', () => {
    const committed = (file: string) => readFileSync(resolve(defaultModelDirectory, file));
    expect(Buffer.from(buildDefaultModel()).equals(committed('model.onnx'))).toBe(true);
    const split = buildDefaultModelSplit();
    expect(Buffer.from(split.frontEnd).equals(committed(defaultSharedFrames.frontEndFile))).toBe(true);
    expect(Buffer.from(split.head).equals(committed(defaultSharedFrames.headFile))).toBe(true);
    expect(JSON.parse(committed('card.json').toString('utf8'))).toEqual(defaultModelCardFile);
  });

  it('keeps the previous default, logmel-stats-v3, regenerating byte for byte under its id', () => {
    const committed = (file: string) => readFileSync(resolve(previousDefaultDirectory, file));
    expect(previousDefaultDirectory.endsWith('/models/logmel-stats-v3')).toBe(true);
    expect(Buffer.from(buildStatisticsModel()).equals(committed('model.onnx'))).toBe(true);
    const split = buildStatisticsModelSplit();
    expect(Buffer.from(split.frontEnd).equals(committed(defaultSharedFrames.frontEndFile))).toBe(true);
    expect(Buffer.from(split.head).equals(committed(defaultSharedFrames.headFile))).toBe(true);
    expect(JSON.parse(committed('card.json').toString('utf8'))).toEqual(statisticsModelCardFile);
  });

  it('splits into a front end and a head that together give the whole model to float precision', async () => {
    const split = buildDefaultModelSplit();
    const [whole, frontEnd, head] = await Promise.all(
      [buildDefaultModel(), split.frontEnd, split.head].map((bytes) => ort.InferenceSession.create(Buffer.from(bytes))),
    );
    const samples = 24_000;
    const audio = new Float32Array(samples);
    for (let i = 0; i < samples; i++) audio[i] = 0.3 * Math.sin((2 * Math.PI * (220 * i + (i * i) / 50)) / 16_000) + 0.02 * Math.sin(i * 1.3);
    const input = { audio: new ort.Tensor('float32', audio, [1, samples]) };
    const expected = (await whole!.run(input)).embedding!.data as Float32Array;
    const frames = await frontEnd!.run(input);
    expect(frames.frame_power!.dims).toEqual([1, samples / 160 + 1, 1]);
    expect(frames.mel_power!.dims).toEqual([1, samples / 160 + 1, 64]);
    const actual = (await head!.run({ frame_power: frames.frame_power!, mel_power: frames.mel_power! })).embedding!.data as Float32Array;
    expect(actual).toHaveLength(EMBEDDING_DIM);
    actual.forEach((value, d) => expect(Math.abs(value - expected[d]!), `value ${d}`).toBeLessThan(1e-5 * Math.max(1, Math.abs(expected[d]!))));
    await Promise.all([whole, frontEnd, head].map((session) => session!.release()));
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
