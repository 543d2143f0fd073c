/**
 * The model quiet-part-study.ts embeds with: the baseline's statistics (per-band mean and std
 * over frames of log-mel, clamped `rangeDb` below the clip's peak, as librosa `power_to_db`
 * with `top_db`), followed by a constant 1 and the log of the window's mean power per FFT bin.
 * The embedder L2-normalises every vector; dividing by the constant's value gives the raw
 * statistics back, so the study can shift the means by the log mean power (which makes them
 * gain-invariant) and try offsets and weights without re-embedding.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { baselineModelCard } from '../../models/build-baseline-model.ts';
import { bandStatistics, logMelFrontEnd, MEL_BANDS } from '../../models/log-mel-front-end.ts';
import { encodeModel, floatTensor, floatValueInfo, node } from '../../models/onnx-builders.ts';

/** Index of the constant 1 in the output; the log mean power follows it. */
export const RAW_CONSTANT_INDEX = 2 * MEL_BANDS;
const RAW_DIM = 2 * MEL_BANDS + 2;

function buildRawStatisticsModel(rangeDb: number): Uint8Array {
  const frontEnd = logMelFrontEnd();
  return encodeModel({
    graphName: `quiet-part-study-${rangeDb}db`,
    docString: 'bench/quality/quiet-part-study.ts: raw log-mel statistics',
    initializers: [
      ...frontEnd.initializers,
      floatTensor('amin', [], [1e-10]),
      floatTensor('top_range', [], [(rangeDb / 10) * Math.log(10)]),
      floatTensor('constant', [1, 1, 1], [1]),
      floatTensor('epsilon', [], [1e-20]),
    ],
    nodes: [
      ...frontEnd.nodes,
      node('Max', ['mel_power', 'amin'], ['clamped_mel']),
      node('Log', ['clamped_mel'], ['log_mel_unfloored']),
      node('ReduceMax', ['log_mel_unfloored'], ['log_peak'], { axes: [1, 2], keepdims: 1 }),
      node('Sub', ['log_peak', 'top_range'], ['log_floor']),
      node('Max', ['log_mel_unfloored', 'log_floor'], ['log_mel']),
      ...bandStatistics('log_mel', 'band_mean', 'band_std'),
      node('ReduceMean', ['power'], ['mean_power'], { axes: [1, 2], keepdims: 1 }),
      node('Add', ['mean_power', 'epsilon'], ['safe_mean_power']),
      node('Log', ['safe_mean_power'], ['log_mean_power']),
      node('Shape', ['log_peak'], ['one_per_clip_shape']),
      node('Expand', ['constant', 'one_per_clip_shape'], ['one_per_clip']),
      node('Concat', ['band_mean', 'band_std', 'one_per_clip', 'log_mean_power'], ['statistics'], { axis: 2 }),
      node('Flatten', ['statistics'], ['embedding'], { axis: 1 }),
    ],
    inputs: [floatValueInfo('audio', ['batch', 'samples'])],
    outputs: [floatValueInfo('embedding', ['batch', RAW_DIM])],
    opsetVersion: 17,
  });
}

/** Writes the model and a card (the baseline's windowing) to `directory`. */
export function writeRawStatisticsModel(directory: string, rangeDb: number): void {
  mkdirSync(directory, { recursive: true });
  writeFileSync(resolve(directory, 'model.onnx'), buildRawStatisticsModel(rangeDb));
  const card = { ...baselineModelCard, id: `quiet-part-study-${rangeDb}db`, dim: RAW_DIM };
  writeFileSync(resolve(directory, 'card.json'), `${JSON.stringify(card, null, 2)}\n`);
}
