import { bandStatistics, MEL_BANDS } from './log-mel-front-end.ts';
import { floatTensor, node } from './onnx-builders.ts';

/**
 * The plain baseline's statistics (models/build-baseline-model.ts) from the shared front end's
 * `mel_power`: per-band mean and std over frames of librosa's `power_to_db` (values below
 * `amin` 1e-10 clamped, and everything 80 dB below the clip's peak), as `output` [B, 1, 128].
 * Its dB scale (10 / ln 10) is left out: a constant factor does not change a cosine. Tensor
 * names start with `prefix`, so the default model can compute them beside its own.
 */
const AMIN = 1e-10;
const TOP_DB = 80;
export const BASELINE_STATISTICS = 2 * MEL_BANDS;

export function baselineStatistics(prefix: string, output: string) {
  const name = (suffix: string) => `${prefix}${suffix}`;
  const initializers = [
    floatTensor(name('amin'), [], [AMIN]),
    // top_db in natural-log units: 80 dB is a power ratio of 10^8.
    floatTensor(name('top_range'), [], [(TOP_DB / 10) * Math.log(10)]),
  ];
  const nodes = [
    node('Max', ['mel_power', name('amin')], [name('clamped_mel')]),
    node('Log', [name('clamped_mel')], [name('log_mel_unfloored')]),
    node('ReduceMax', [name('log_mel_unfloored')], [name('log_peak')], { axes: [1, 2], keepdims: 1 }),
    node('Sub', [name('log_peak'), name('top_range')], [name('log_floor')]),
    node('Max', [name('log_mel_unfloored'), name('log_floor')], [name('log_mel')]),
    ...bandStatistics(name('log_mel'), name('band_mean'), name('band_std')),
    node('Concat', [name('band_mean'), name('band_std')], [output], { axis: 2 }),
  ];
  return { initializers, nodes };
}
