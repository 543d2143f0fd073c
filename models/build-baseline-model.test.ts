import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASELINE_DIM, buildBaselineModel } from './build-baseline-model.ts';
import { MEL_BANDS, SAMPLE_RATE } from './log-mel-front-end.ts';

describe('baseline model (bench/quality)', () => {
  let session: ort.InferenceSession;
  beforeAll(async () => {
    session = await ort.InferenceSession.create(Buffer.from(buildBaselineModel()));
  });
  afterAll(() => session.release());

  const embed = async (samples: Float32Array) => {
    const output = await session.run({ audio: new ort.Tensor('float32', samples, [1, samples.length]) });
    expect(output.embedding!.dims).toEqual([1, BASELINE_DIM]);
    return output.embedding!.data as Float32Array;
  };
  // A chord with a slow tremolo: every band has some level and some variation over frames.
  const chord = Float32Array.from({ length: SAMPLE_RATE }, (_, i) => {
    const t = i / SAMPLE_RATE;
    return (0.6 + 0.3 * Math.sin(2 * Math.PI * 3 * t)) * [220, 1234, 5555].reduce((sum, hz) => sum + 0.2 * Math.sin(2 * Math.PI * hz * t), 0);
  });

  it('is per-band log-mel mean then per-band std: a gain shifts every mean by the same log and leaves the stds', async () => {
    const original = await embed(chord);
    const quieter = await embed(chord.map((value) => value * 0.5));
    const shift = Math.log(0.25);
    for (let band = 0; band < MEL_BANDS; band++) {
      expect(quieter[band]! - original[band]!, `mean of band ${band}`).toBeCloseTo(shift, 3);
      expect(quieter[MEL_BANDS + band]!, `std of band ${band}`).toBeCloseTo(original[MEL_BANDS + band]!, 3);
      expect(original[MEL_BANDS + band]!).toBeGreaterThanOrEqual(0);
    }
  });

  it('floors at 80 dB below the clip peak, so silence between sounds stays finite', async () => {
    const withSilence = new Float32Array(2 * SAMPLE_RATE);
    withSilence.set(chord);
    const vector = await embed(withSilence);
    expect(vector.every(Number.isFinite)).toBe(true);
    const peak = Math.max(...vector.subarray(0, MEL_BANDS));
    // No band mean can lie more than the 80 dB range (8 ln 10 = 18.4) below the loudest one.
    expect(Math.min(...vector.subarray(0, MEL_BANDS))).toBeGreaterThanOrEqual(peak - 8 * Math.log(10) - 1e-3);
  });
});
