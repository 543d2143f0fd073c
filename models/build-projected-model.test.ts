import ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { buildBaselineModel } from './build-baseline-model.ts';
import { buildStatisticsModel, STATISTICS_DIM } from './build-statistics-model.ts';
import { BASELINE_WEIGHT, buildProjectedModel, FEATURES_DIM } from './build-projected-model.ts';
import { MEL_BANDS, SAMPLE_RATE } from './log-mel-front-end.ts';
import { decodeLearnedProjection, encodeFloats } from './projection-head.ts';

const sessions: ort.InferenceSession[] = [];
async function run(model: Uint8Array, samples: Float32Array, batch = 1): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(Buffer.from(model));
  sessions.push(session);
  const output = await session.run({ audio: new ort.Tensor('float32', samples, [batch, samples.length / batch]) });
  return output.embedding!.data as Float32Array;
}
afterAll(async () => Promise.all(sessions.map((session) => session.release())));

const unit = (values: ArrayLike<number>) => {
  const length = Math.hypot(...Array.from(values));
  return Array.from(values, (value) => value / length);
};
const chord = Float32Array.from({ length: SAMPLE_RATE }, (_, i) => {
  const t = i / SAMPLE_RATE;
  return (0.6 + 0.3 * Math.sin(2 * Math.PI * 3 * t)) * [220, 1234, 5555].reduce((sum, hz) => sum + 0.2 * Math.sin(2 * Math.PI * hz * t), 0);
});

describe("projected model (the default model's construction)", () => {
  it("feeds its head v3's statistics and the baseline's with band means relative to their average, each of unit length", async () => {
    const features = await run(buildProjectedModel('features'), chord);
    expect(features).toHaveLength(FEATURES_DIM);
    const model = unit(await run(buildStatisticsModel(), chord));
    const baseline = Array.from(await run(buildBaselineModel(), chord));
    const bandAverage = baseline.slice(0, MEL_BANDS).reduce((sum, value) => sum + value, 0) / MEL_BANDS;
    const relative = unit(baseline.map((value, k) => (k < MEL_BANDS ? value - bandAverage : value)));
    model.forEach((value, k) => expect(features[k]!, `model ${k}`).toBeCloseTo(value, 5));
    relative.forEach((value, k) => expect(features[STATISTICS_DIM + k]!, `baseline ${k}`).toBeCloseTo(BASELINE_WEIGHT * value, 5));
    const quieter = await run(
      buildProjectedModel('features'),
      chord.map((value) => value * 0.1),
    );
    features.forEach((value, k) => expect(quieter[k]!, `gain, value ${k}`).toBeCloseTo(value, 4));
  });

  it('applies (features - mean) x matrix, and gives digital silence an exactly zero vector', async () => {
    const outputDim = 6;
    const mean = Array.from({ length: FEATURES_DIM }, (_, k) => 0.01 * Math.sin(k));
    const matrix = Array.from({ length: FEATURES_DIM * outputDim }, (_, k) => Math.cos(k * 0.37));
    const head = decodeLearnedProjection({
      description: 'test',
      command: 'test',
      baselineWeight: BASELINE_WEIGHT,
      settings: { regularisation: 1, categoryCollapse: 0, categorySpread: 0, spreadDirections: 0, outputDim },
      inputDim: FEATURES_DIM,
      outputDim,
      mean: encodeFloats(mean),
      matrix: encodeFloats(matrix),
    });
    const features = await run(buildProjectedModel('features'), chord);
    const input = new Float32Array(2 * chord.length);
    input.set(chord);
    const both = await run(buildProjectedModel(head), input, 2);
    const [tone, silence] = [both.subarray(0, outputDim), both.subarray(outputDim)];
    for (let j = 0; j < outputDim; j++) {
      let expected = 0;
      for (let k = 0; k < FEATURES_DIM; k++) expected += (features[k]! - mean[k]!) * matrix[k * outputDim + j]!;
      expect(tone![j]!, `value ${j}`).toBeCloseTo(expected, 3);
    }
    expect(silence!.every((value) => value === 0)).toBe(true);
    expect(() => buildProjectedModel({ ...head, inputDim: FEATURES_DIM - 1 })).toThrow(/takes 385 values/);
  });

  it("blended: v3's statistics beside the head's output, each of unit length, weighted so cosines mix as headWeight says", async () => {
    const outputDim = 5;
    const headWeight = 0.4;
    const head = decodeLearnedProjection({
      description: 'test',
      command: 'test',
      baselineWeight: BASELINE_WEIGHT,
      settings: { regularisation: 1, categoryCollapse: 0, categorySpread: 0, spreadDirections: 0, outputDim },
      inputDim: FEATURES_DIM,
      outputDim,
      mean: encodeFloats(new Array<number>(FEATURES_DIM).fill(0)),
      matrix: encodeFloats(Array.from({ length: FEATURES_DIM * outputDim }, (_, k) => Math.sin(k * 0.61))),
      headWeight,
    });
    const unblended = unit(await run(buildProjectedModel({ ...head, headWeight: undefined }), chord));
    const model = unit(await run(buildStatisticsModel(), chord));
    const input = new Float32Array(2 * chord.length);
    input.set(chord);
    const both = await run(buildProjectedModel(head), input, 2);
    const width = STATISTICS_DIM + outputDim;
    expect(both).toHaveLength(2 * width);
    const [tone, silence] = [both.subarray(0, width), both.subarray(width)];
    model.forEach((value, k) => expect(tone![k]!, `model ${k}`).toBeCloseTo(Math.sqrt(1 - headWeight) * value, 5));
    unblended.forEach((value, j) => expect(tone![STATISTICS_DIM + j]!, `head ${j}`).toBeCloseTo(Math.sqrt(headWeight) * value, 5));
    expect(silence!.every((value) => value === 0)).toBe(true);
    expect(() => buildProjectedModel({ ...head, headWeight: 1.5 })).toThrow(/headWeight must be within 0-1/);
  });
});
