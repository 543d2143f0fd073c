import FFT from 'fft.js';

/**
 * Where an excerpt's own audio recurs in its recording. Loop-based music repeats bars sample
 * for sample, so a 5-second excerpt can sound the same at several places of its track; a
 * segment at such a repeat is as right an answer to "where is this?" as the excerpt's own
 * place, and which of them a model ranks first says nothing about the model. This is told
 * from the samples alone, with no model: the normalised cross-correlation of the unaltered
 * excerpt with the recording.
 *
 * At 0.9 the best-scaled difference between the two stretches holds 1 - 0.9^2 = 19% of their
 * energy (about -7 dB): the same passage, with at most a quieter part changed. Speech and
 * sound effects stay far below it: in bench/quality's excerpt case, an excerpt of them
 * correlates at most 0.28 with any stretch half an excerpt or more away from its own place,
 * while 20 of the 53 music-on-hold excerpts recur at 0.9 or more (18 at 0.95 or more).
 */
export const RECURRENCE_CORRELATION = 0.9;

/**
 * The highest normalised correlation of `excerpt` with `recording[start, start + excerpt.length)`
 * over every start in [firstStart, lastStart] (samples; clamped to where the excerpt fits).
 * One FFT-based correlation over just that window, so it costs milliseconds even for a long
 * track.
 */
export function bestCorrelationBetween(recording: Float32Array, excerpt: Float32Array, firstStart: number, lastStart: number): number {
  const length = excerpt.length;
  const first = Math.max(0, Math.floor(firstStart));
  const last = Math.min(recording.length - length, Math.ceil(lastStart));
  if (length === 0 || last < first) return 0;
  const window = recording.subarray(first, last + length);
  let size = 2;
  while (size < window.length) size *= 2;
  const fft = new FFT(size);
  const spectrumOf = (samples: Float32Array) => {
    const padded = new Array<number>(size).fill(0);
    samples.forEach((value, k) => (padded[k] = value));
    const spectrum = fft.createComplexArray() as number[];
    fft.realTransform(spectrum, padded);
    fft.completeSpectrum(spectrum);
    return spectrum;
  };
  const windowSpectrum = spectrumOf(window);
  const excerptSpectrum = spectrumOf(excerpt);
  // correlation[p] = sum_k window[p + k] excerpt[k]: the window's spectrum times the excerpt's conjugate.
  const product = fft.createComplexArray() as number[];
  for (let k = 0; k < size; k++) {
    const [a, b] = [windowSpectrum[2 * k]!, windowSpectrum[2 * k + 1]!];
    const [c, d] = [excerptSpectrum[2 * k]!, -excerptSpectrum[2 * k + 1]!];
    product[2 * k] = a * c - b * d;
    product[2 * k + 1] = a * d + b * c;
  }
  const correlation = fft.createComplexArray() as number[];
  fft.inverseTransform(correlation, product);
  const excerptNorm = Math.sqrt(excerpt.reduce((sum, value) => sum + value * value, 0));
  // Energy of each window stretch from running sums (float64, so the subtraction stays exact enough).
  const energyBefore = new Float64Array(window.length + 1);
  window.forEach((value, k) => (energyBefore[k + 1] = energyBefore[k]! + value * value));
  let best = 0;
  for (let p = 0; p <= last - first; p++) {
    const energy = energyBefore[p + length]! - energyBefore[p]!;
    if (energy <= 0 || excerptNorm === 0) continue;
    best = Math.max(best, correlation[2 * p]! / (Math.sqrt(energy) * excerptNorm));
  }
  return best;
}
