/**
 * The learned linear head of the default model (v4): the model's own statistics and the
 * plain baseline's, the baseline's band means taken relative to their average over bands
 * (which is all that a gain change moves, so the vector stays gain-invariant), each scaled
 * to unit length (the baseline's times `baselineWeight`),
 * concatenated into `features` [B, FEATURES_DIM], then `(features - mean) x matrix`.
 * The mean and matrix come from models/fit-projection.ts; bench/quality/learn-projection.ts
 * fits them and can store them as JSON (`--head`) for the model to be rebuilt from.
 */
import { BASELINE_STATISTICS } from './baseline-statistics.ts';
import { MEL_BANDS } from './log-mel-front-end.ts';
import { floatTensor, int64Tensor, node } from './onnx-builders.ts';
import type { ProjectionSettings } from './fit-projection.ts';

/** A stored head; the float arrays are base64 of little-endian float32. */
export interface LearnedProjectionFile {
  readonly description: string;
  readonly command: string;
  readonly baselineWeight: number;
  readonly settings: ProjectionSettings;
  readonly inputDim: number;
  readonly outputDim: number;
  readonly mean: string;
  readonly matrix: string;
  /**
   * When set (0-1): the output is the model's own statistics (unit length) times
   * sqrt(1 - headWeight) beside the head's output (unit length) times sqrt(headWeight), so
   * a cosine is (1 - headWeight) x the model's cosine + headWeight x the head's. Unset: the
   * head's output alone.
   */
  readonly headWeight?: number;
}

export interface LearnedProjection extends LearnedProjectionFile {
  readonly meanValues: number[];
  readonly matrixValues: number[];
}

export function decodeLearnedProjection(file: LearnedProjectionFile, path = 'head'): LearnedProjection {
  const floats = (base64: string, length: number, what: string) => {
    const bytes = Buffer.from(base64, 'base64');
    if (bytes.length !== 4 * length) throw new Error(`${path}: ${what} has ${bytes.length / 4} values, expected ${length}`);
    return Array.from({ length }, (_, k) => bytes.readFloatLE(4 * k));
  };
  return { ...file, meanValues: floats(file.mean, file.inputDim, 'mean'), matrixValues: floats(file.matrix, file.inputDim * file.outputDim, 'matrix') };
}

/** Base64 of little-endian float32 back to the values. */
export function decodeFloats(base64: string): Float32Array {
  const bytes = Buffer.from(base64, 'base64');
  return Float32Array.from({ length: bytes.length / 4 }, (_, k) => bytes.readFloatLE(4 * k));
}

export function encodeFloats(values: ArrayLike<number>): string {
  const bytes = Buffer.alloc(4 * values.length);
  for (let k = 0; k < values.length; k++) bytes.writeFloatLE(values[k]!, 4 * k);
  return bytes.toString('base64');
}

/** Unit length along axis 1 of [B, D]; an all-zero row (digital silence) stays zero. */
function unitLength(input: string, output: string) {
  return [
    node('ReduceL2', [input], [`${input}_length`], { axes: [1], keepdims: 1 }),
    node('Max', [`${input}_length`, 'head_tiny'], [`${input}_safe_length`]),
    node('Div', [input, `${input}_safe_length`], [output]),
  ];
}

/**
 * Nodes from `modelStatistics` [B, statisticsDim] and `baselineStatistics` [B, 1, 128] to
 * `features` [B, statisticsDim + 128]; with `projection`, on to `output`, zeroed where
 * `audible` [B, 1, 1] is 0 so digital silence stays an exactly zero vector.
 */
export function projectionHead(modelStatistics: string, baselineStatistics: string, baselineWeight: number, output: string, projection?: LearnedProjection) {
  const initializers = [
    floatTensor('head_tiny', [], [1e-30]),
    floatTensor('head_baseline_weight', [], [baselineWeight]),
    int64Tensor('head_flat_shape', [2], [0, -1]),
    floatTensor('head_level_removal', [BASELINE_STATISTICS, BASELINE_STATISTICS], levelRemoval()),
  ];
  const nodes = [
    ...unitLength(modelStatistics, 'model_part'),
    node('Reshape', [baselineStatistics, 'head_flat_shape'], ['baseline_flat']),
    node('MatMul', ['baseline_flat', 'head_level_removal'], ['baseline_relative']),
    ...unitLength('baseline_relative', 'baseline_unit'),
    node('Mul', ['baseline_unit', 'head_baseline_weight'], ['baseline_part']),
    node('Concat', ['model_part', 'baseline_part'], [projection ? 'features' : output], { axis: 1 }),
  ];
  if (projection) {
    const blended = projection.headWeight !== undefined;
    initializers.push(
      floatTensor('head_mean', [projection.inputDim], projection.meanValues),
      floatTensor('head_matrix', [projection.inputDim, projection.outputDim], projection.matrixValues),
    );
    nodes.push(
      node('Sub', ['features', 'head_mean'], ['centred_features']),
      node('MatMul', ['centred_features', 'head_matrix'], ['projected']),
      node('Reshape', ['audible', 'head_flat_shape'], ['audible_flat']),
      node('Mul', ['projected', 'audible_flat'], [blended ? 'head_output' : output]),
    );
    if (blended) {
      const headWeight = projection.headWeight!;
      if (!(headWeight >= 0 && headWeight <= 1)) throw new Error(`headWeight must be within 0-1, got ${headWeight}`);
      initializers.push(floatTensor('blend_model_scale', [], [Math.sqrt(1 - headWeight)]), floatTensor('blend_head_scale', [], [Math.sqrt(headWeight)]));
      nodes.push(
        ...unitLength('head_output', 'head_unit'),
        node('Mul', ['model_part', 'blend_model_scale'], ['blend_model_part']),
        node('Mul', ['head_unit', 'blend_head_scale'], ['blend_head_part']),
        node('Concat', ['blend_model_part', 'blend_head_part'], [output], { axis: 1 }),
      );
    }
  }
  return { initializers, nodes };
}

/** The model's output width: the head's, or the model's statistics beside it when blended. */
export const projectedOutputDim = (statisticsDim: number, projection: Pick<LearnedProjectionFile, 'outputDim' | 'headWeight'>) =>
  projection.headWeight === undefined ? projection.outputDim : statisticsDim + projection.outputDim;

/**
 * [128, 128]: band means (values 0-63) minus their average over bands, stds (64-127) as
 * they are. A gain change adds the same log to every band mean and nothing else (unless it
 * reaches the 1e-10 clamp), so this cancels it exactly.
 */
function levelRemoval(): number[] {
  const matrix = new Array<number>(BASELINE_STATISTICS * BASELINE_STATISTICS).fill(0);
  for (let row = 0; row < BASELINE_STATISTICS; row++) {
    for (let column = 0; column < BASELINE_STATISTICS; column++) {
      const bothMeans = row < MEL_BANDS && column < MEL_BANDS;
      matrix[row * BASELINE_STATISTICS + column] = (row === column ? 1 : 0) - (bothMeans ? 1 / MEL_BANDS : 0);
    }
  }
  return matrix;
}

export const featuresDim = (statisticsDim: number) => statisticsDim + BASELINE_STATISTICS;
