/**
 * Sample-rate conversion that gives what ffmpeg's default resampler (libswresample, as
 * `ffmpeg -ar` uses it) gives, so a recording decoded in process embeds to the same vectors as
 * one decoded by ffmpeg (decode-resample.test.ts compares the two on real files: equal to one
 * float rounding, 1.2e-7, sample for sample, and of the same length). The algorithm is swr's, written from its documented defaults: a polyphase
 * Kaiser-windowed sinc (32 taps at the lower of the two rates, beta 9, cutoff 0.97 of the
 * lower Nyquist), one filter phase per output position of the exact rational ratio, the input
 * mirrored at both ends. Coefficients are single precision as in swr's float path; sums are
 * double (swr sums in float with SIMD lanes, so samples differ in the last bits only).
 */

const FILTER_SIZE = 32;
const CUTOFF = 0.97;
const KAISER_BETA = 9;
/** swr keeps at most 2^10 phases; a ratio needing more is interpolated there, which this does not do. */
const MAX_PHASES = 1 << 10;

export interface Resampler {
  readonly inRate: number;
  readonly outRate: number;
  /** Multiply-adds per input sample: what a recording costs to convert. */
  readonly costPerInputSample: number;
  /**
   * Inputs shorter than this go to ffmpeg: swr waits for a full window before its first output,
   * and below a few windows its count of output samples was measured to differ by one.
   */
  readonly minInputSamples: number;
  resample(input: Float32Array): Float32Array;
}

const resamplers = new Map<string, Resampler | undefined>();

/** The converter for this pair of rates, or `undefined` when swr would interpolate phases (ffmpeg must convert). */
export function resamplerFor(inRate: number, outRate: number): Resampler | undefined {
  const key = `${inRate}:${outRate}`;
  if (!resamplers.has(key)) resamplers.set(key, buildResampler(inRate, outRate));
  return resamplers.get(key);
}

function buildResampler(inRate: number, outRate: number): Resampler | undefined {
  if (!Number.isInteger(inRate) || !Number.isInteger(outRate) || inRate <= 0 || outRate <= 0) return undefined;
  const divisor = gcd(inRate, outRate);
  const phases = outRate / divisor;
  /** Input samples advanced per output sample, in phases. */
  const step = inRate / divisor;
  if (phases > MAX_PHASES) return undefined;
  const factor = Math.min((outRate * CUTOFF) / inRate, 1);
  // swr rounds an odd length up to even (its filters are symmetric in pairs of phases).
  const taps = 2 * Math.ceil(Math.ceil(FILTER_SIZE / factor) / 2);
  const center = (taps - 1) >> 1;
  const bank = filterBank(phases, taps, center, factor);
  return {
    inRate,
    outRate,
    costPerInputSample: (taps * outRate) / inRate,
    minInputSamples: 4 * taps,
    resample: (input) => convert(input, { phases, step, taps, center, bank }),
  };
}

interface Plan {
  phases: number;
  step: number;
  taps: number;
  center: number;
  bank: Float32Array;
}

/** One row of `taps` coefficients per phase, all divided by the sum of phase 0 (swr's normalisation). */
function filterBank(phases: number, taps: number, center: number, factor: number): Float32Array {
  const bank = new Float32Array(phases * taps);
  const row = new Float64Array(taps);
  // Not each row's own sum: measured on ffmpeg's impulse response, the half-sample phase of a
  // 2x upsampler sums to 0.999989, its phase 0 to 1.
  let norm = 0;
  for (let phase = 0; phase < phases; phase++) {
    // sin(pi * (n - d)) for integer n alternates in sign, so at factor 1 one sine serves the row:
    // exact zeros at the integer phase, as swr computes them.
    let sine = Math.sin((Math.PI * phase) / phases) * (center & 1 ? 1 : -1);
    for (let tap = 0; tap < taps; tap++) {
      const offset = tap - center - phase / phases;
      const x = Math.PI * offset * factor;
      let y = x === 0 ? 1 : factor === 1 ? sine / x : Math.sin(x) / x;
      sine = -sine;
      const w = (2 * x) / (factor * taps * Math.PI);
      y *= besselI0(KAISER_BETA * Math.sqrt(Math.max(1 - w * w, 0)));
      row[tap] = y;
      if (phase === 0) norm += y;
    }
    for (let tap = 0; tap < taps; tap++) bank[phase * taps + tap] = row[tap]! / norm;
  }
  return bank;
}

/** The zeroth-order modified Bessel function of the first kind, by its power series. */
function besselI0(x: number): number {
  const quarterSquare = (x * x) / 4;
  let sum = 1;
  let term = 1;
  for (let k = 1; k < 200; k++) {
    term *= quarterSquare / (k * k);
    const next = sum + term;
    if (next === sum) break;
    sum = next;
  }
  return sum;
}

function convert(input: Float32Array, plan: Plan): Float32Array {
  const { phases, step, taps, center, bank } = plan;
  const length = input.length;
  if (length === 0) return new Float32Array(0);
  // Output k reads taps input samples from first(k) = floor(k * step / phases) - center, at phase (k * step) % phases.
  // swr starts with the window centred on sample 0 (the input mirrored before it: x[-n] = x[n]); at the end
  // it mirrors half of what is left of the input (x[N + j] = x[N - 1 - j]) and stops where the window passes that.
  let firstUnfinished = 0;
  while (Math.floor((firstUnfinished * step) / phases) - center + taps <= length) firstUnfinished++;
  const left = length - Math.max(0, Math.floor((firstUnfinished * step) / phases) - center);
  const reflection = (Math.min(left, taps) + 1) >> 1;
  const available = length + reflection;
  let outputs = firstUnfinished;
  while (Math.floor((outputs * step) / phases) - center + taps <= available) outputs++;
  const output = new Float32Array(outputs);
  const at = (index: number) => {
    if (index < 0) return input[Math.min(-index, length - 1)]!;
    if (index >= length) return input[Math.max(2 * length - 1 - index, 0)]!;
    return input[index]!;
  };
  for (let k = 0; k < outputs; k++) {
    const position = k * step;
    const first = Math.floor(position / phases) - center;
    const coefficients = (position % phases) * taps;
    let sum = 0;
    if (first >= 0 && first + taps <= length) {
      for (let tap = 0; tap < taps; tap++) sum += input[first + tap]! * bank[coefficients + tap]!;
    } else {
      for (let tap = 0; tap < taps; tap++) sum += at(first + tap) * bank[coefficients + tap]!;
    }
    output[k] = sum;
  }
  return output;
}

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}
