/**
 * `logmel-stats-v3`, the default model until issue 10 item 5, and now the part of the default
 * (models/build-default-model.ts) that the learned head is blended with: log-mel statistics
 * in a fixed graph. bench/quality/compare-shapes.ts writes variants of its shape. The output
 * is a pure function of this code.
 *
 * Graph, for `audio` [B, T] mono float32 at 16 kHz:
 *   log-mel spectrogram of models/log-mel-front-end.ts (64 HTK bands 20 Hz..8 kHz, 10 ms hop)
 *   -> log(1 + mel / floor), floor = 0.03 x the window's mean power per FFT bin
 *      x the band's width in bins
 *   -> per clip, over frames:
 *      shape   per-band mean                                  64  } each averaged over
 *      spread  per-band std                                   64  } neighbouring bands
 *      change  per-band std of frame-to-frame deltas          64  } (Gaussian, std 1 band),
 *                                                                 } then minus its band average
 *      motion  upward minus downward movement between         63
 *              neighbouring bands from one frame to the next
 *      levels  the three band averages taken out above          3
 *   -> times fixed group weights (1, 0.5, 1, 1, 4) -> `embedding` [B, 258].
 *
 * The floor follows the clip's own level, so a gain change shifts every log value by
 * the same amount and cancels exactly; it is flat per FFT bin, like white noise, so
 * noise well below the clip's power barely moves bands the clip leaves empty (with the
 * absolute floor of v1, 20 dB SNR noise made Recall@1 0.25 on bench/quality).
 * Taking each group relative to its band average stops the always-positive std terms
 * from making every pair of clips look alike (mean cosine between different recordings
 * 0.83 with v1); v3 keeps those averages as three values of their own instead of dropping
 * them (how flat the spectrum is over the floor, how much and how fast the clip varies:
 * all unchanged by gain), and smooths across bands so that a 5% change of speed, which
 * moves every partial by 0.3 (low bands) to 1.2 (top bands) bands, moves the vector less.
 * See models/README.md for the measurements behind each choice (bench/quality, chosen on
 * its corpus A, checked on the held-back corpus B). Digital silence gives an exactly
 * zero vector.
 * No random projection: it would not add information and cosine is unchanged by it.
 */
import { splitAtFrames, writeModelFiles, type SharedFramesCard } from './frame-split.ts';
import {
  bandStatistics,
  bandWidths,
  FRAME_HOP_SAMPLES,
  FRAME_OUTPUTS,
  FRAME_REACH_SAMPLES,
  framedFrontEnd,
  MEL_BANDS,
  SAMPLE_RATE,
} from './log-mel-front-end.ts';
import { encodeModel, floatTensor, floatValueInfo, int64Tensor, node } from './onnx-builders.ts';

export { SAMPLE_RATE };
/**
 * The floor under every band, as a fraction of the window's mean power per FFT bin
 * (times the band's width in bins). Relative to the clip, so a gain change moves every
 * log value by the same amount; and level with the flat spectrum of white noise, so
 * noise 20 dB below the clip's power adds about log(1 + 0.01 / 0.03) = 0.29 to a
 * log value, where an absolute floor let it lift empty bands by 10 or more.
 */
const RELATIVE_FLOOR = 0.03;
/** Keeps the floor above zero for digital silence, far below it for anything audible. */
const FLOOR_EPSILON = 1e-20;
/** What can vary between generated models of this family (the shipped one is DEFAULT_SHAPE). */
export interface ModelShape {
  /** How much each group of statistics counts in the cosine. */
  readonly weights: { readonly shape: number; readonly spread: number; readonly change: number; readonly motion: number; readonly levels: number };
  /** Std of the Gaussian, in bands, that each per-band statistic is averaged over its neighbours with; 0 for none. */
  readonly bandSmoothing: number;
  /** Whether the motion values (one per pair of neighbouring bands) are smoothed the same way. */
  readonly smoothMotion: boolean;
  /** The floor under every band, as a fraction of the window's mean power per FFT bin (see RELATIVE_FLOOR). */
  readonly relativeFloor?: number;
}

/**
 * The shipped shape (v3). v2 was { shape 1, spread 0.5, change 1, motion 3 }, no levels, no
 * smoothing: motion at 3 dominated the vector, and motion is what a speed change disturbs most
 * (pairs of bands swap their roles) and what follows the words said rather than the voice.
 */
export const DEFAULT_SHAPE: ModelShape = { weights: { shape: 1, spread: 0.5, change: 1, motion: 1, levels: 4 }, bandSmoothing: 1, smoothMotion: false };
const MOTION_PAIRS = MEL_BANDS - 1;
/** Band averages that every group but motion is taken relative to, kept as three values of their own. */
const LEVELS = 3;
export const STATISTICS_DIM = 3 * MEL_BANDS + MOTION_PAIRS + LEVELS;

export const statisticsModelCard = {
  id: 'logmel-stats-v3',
  description:
    "Log-mel statistics (64 bands, 20 Hz-8 kHz, floor relative to the clip's power): spectral shape, per-band spread and spread of change (each smoothed over neighbouring bands and taken relative to its band average, the three averages kept as values of their own), and upward-minus-downward movement between neighbouring bands; 258 values. Generated by models/build-statistics-model.ts.",
  file: 'model.onnx',
  sampleRate: SAMPLE_RATE,
  inputName: 'audio',
  outputName: 'embedding',
  outputKind: 'pooled',
  dim: STATISTICS_DIM,
  windowSeconds: 10,
  hopSeconds: 5,
  // Reflect padding needs more than 256 samples and the deltas need two frames; half a
  // second also gives the statistics enough frames (51) to mean something.
  minSeconds: 0.5,
  inputNormalization: 'none',
} as const;

/** The split of the model at its spectrogram (models/frame-split.ts), as the written card names it. */
export const logMelSharedFrames: SharedFramesCard = {
  frontEndFile: 'front-end.onnx',
  headFile: 'head.onnx',
  frameOutputs: FRAME_OUTPUTS,
  hopSamples: FRAME_HOP_SAMPLES,
  reachSamples: FRAME_REACH_SAMPLES,
};

/** What `writeStatisticsModel` writes as card.json. */
export const statisticsModelCardFile = { ...statisticsModelCard, sharedFrames: logMelSharedFrames };

export function buildStatisticsModel(shape: ModelShape = DEFAULT_SHAPE): Uint8Array {
  return encodeModel({
    graphName: statisticsModelCard.id,
    docString: statisticsModelCard.description,
    ...statisticsModelGraph(shape, 'embedding'),
    inputs: [floatValueInfo('audio', ['batch', 'samples'])],
    outputs: [floatValueInfo('embedding', ['batch', STATISTICS_DIM])],
    opsetVersion: 17,
  });
}

/**
 * The model's nodes and initializers, from `audio` to `output` [B, 258]; also `mel_power`
 * and `audible` ([B, 1, 1], 0 for digital silence) for models that build on it
 * (models/build-projected-model.ts, models/build-default-model.ts).
 */
export function statisticsModelGraph(shape: ModelShape, output: string) {
  const frontEnd = framedFrontEnd();
  const smooth = shape.bandSmoothing > 0;
  const initializers = [
    ...frontEnd.initializers,
    floatTensor(
      'band_floor',
      [MEL_BANDS],
      bandWidths().map((width) => (shape.relativeFloor ?? RELATIVE_FLOOR) * width),
    ),
    floatTensor('floor_epsilon', [], [FLOOR_EPSILON]),
    floatTensor('one', [], [1]),
    floatTensor('log_band_width', [MEL_BANDS], bandWidths().map(Math.log)),
    floatTensor('group_weights', [STATISTICS_DIM], groupWeights(shape)),
    ...(smooth ? [floatTensor('band_smoothing', [MEL_BANDS, MEL_BANDS], gaussianSmoothing(MEL_BANDS, shape.bandSmoothing))] : []),
    ...(smooth && shape.smoothMotion
      ? [floatTensor('pair_smoothing', [MOTION_PAIRS, MOTION_PAIRS], gaussianSmoothing(MOTION_PAIRS, shape.bandSmoothing))]
      : []),
    // Slices over [B, F, bands]: frames 1.. and ..F-1, bands 1.. and ..63.
    int64Tensor('frame_axis', [1], [1]),
    int64Tensor('from_second', [1], [1]),
    int64Tensor('to_end', [1], [Number.MAX_SAFE_INTEGER]),
    int64Tensor('from_first', [1], [0]),
    int64Tensor('to_last', [1], [-1]),
    int64Tensor('frame_and_band_axes', [2], [1, 2]),
    int64Tensor('from_second_2', [2], [1, 1]),
    int64Tensor('to_end_2', [2], [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER]),
    int64Tensor('from_first_2', [2], [0, 0]),
    int64Tensor('to_last_2', [2], [-1, -1]),
    int64Tensor('earlier_frames_higher_bands_starts', [2], [0, 1]),
    int64Tensor('earlier_frames_higher_bands_ends', [2], [-1, Number.MAX_SAFE_INTEGER]),
    int64Tensor('later_frames_lower_bands_starts', [2], [1, 0]),
    int64Tensor('later_frames_lower_bands_ends', [2], [Number.MAX_SAFE_INTEGER, -1]),
  ];

  // Each [B, 1, bands] statistic, averaged over neighbouring bands when the shape says so.
  const smoothed = (input: string, matrix = 'band_smoothing') => (smooth ? [node('MatMul', [input, matrix], [`${input}_smoothed`])] : []);
  const maybe = (input: string) => (smooth ? `${input}_smoothed` : input);
  const nodes = [
    ...frontEnd.nodes,
    // log(1 + mel / floor), floor = 0.03 x mean power per bin x band width: [B, F, 64].
    // That is log(mel + floor) less log(floor): a per-band constant, which every statistic
    // but the mean ignores (and the mean gets log(band width) back below). Measured from
    // the floor, the values stay small (a few units), so float32 sums over frames round
    // little: a batch of clips gives the vectors of one-by-one runs to ~2e-6.
    // Every frame has the same 257 bins, so the mean of the frames' means is the mean over both.
    node('ReduceMean', ['frame_power'], ['mean_power'], { axes: [1], keepdims: 1 }),
    node('Mul', ['mean_power', 'band_floor'], ['floor']),
    node('Add', ['floor', 'floor_epsilon'], ['safe_floor']),
    node('Div', ['mel_power', 'safe_floor'], ['mel_over_floor']),
    node('Add', ['mel_over_floor', 'one'], ['mel_shifted']),
    node('Log', ['mel_shifted'], ['log_mel']),
    // shape: per-band mean of log(mel + floor), minus the mean over bands.
    ...bandStatistics('log_mel', 'mean_above_floor', 'std'),
    // Sign(mean power) is 0 for digital silence, which so stays an exactly zero vector.
    node('Sign', ['mean_power'], ['audible']),
    node('Mul', ['audible', 'log_band_width'], ['floor_level']),
    node('Add', ['mean_above_floor', 'floor_level'], ['mean']),
    ...smoothed('mean'),
    ...relativeToBandAverage(maybe('mean'), 'shape'),
    // spread: per-band std over frames, minus its average over bands.
    ...smoothed('std'),
    ...relativeToBandAverage(maybe('std'), 'spread'),
    // change: per-band std of frame-to-frame deltas, minus its average over bands.
    node('Slice', ['log_mel', 'from_second', 'to_end', 'frame_axis'], ['later_frames']),
    node('Slice', ['log_mel', 'from_first', 'to_last', 'frame_axis'], ['earlier_frames']),
    node('Sub', ['later_frames', 'earlier_frames'], ['delta']),
    ...bandStatistics('delta', 'delta_mean', 'delta_std'),
    ...smoothed('delta_std'),
    ...relativeToBandAverage(maybe('delta_std'), 'change'),
    // motion: for each pair of neighbouring bands (b, b+1), the mean over frames of
    // x[t, b] x[t+1, b+1] - x[t, b+1] x[t+1, b], x the deviation from the band mean:
    // positive when energy moves up in frequency from one frame to the next, negative
    // when it moves down. Tells a rising sequence from the same notes falling.
    node('Slice', ['log_mel_deviation', 'from_first_2', 'to_last_2', 'frame_and_band_axes'], ['x_earlier_lower']),
    node('Slice', ['log_mel_deviation', 'from_second_2', 'to_end_2', 'frame_and_band_axes'], ['x_later_higher']),
    node('Slice', ['log_mel_deviation', 'earlier_frames_higher_bands_starts', 'earlier_frames_higher_bands_ends', 'frame_and_band_axes'], ['x_earlier_higher']),
    node('Slice', ['log_mel_deviation', 'later_frames_lower_bands_starts', 'later_frames_lower_bands_ends', 'frame_and_band_axes'], ['x_later_lower']),
    node('Mul', ['x_earlier_lower', 'x_later_higher'], ['upward']),
    node('Mul', ['x_earlier_higher', 'x_later_lower'], ['downward']),
    node('Sub', ['upward', 'downward'], ['net_motion']),
    node('ReduceMean', ['net_motion'], ['pair_motion'], { axes: [1], keepdims: 1 }),
    ...(smooth && shape.smoothMotion ? [node('MatMul', ['pair_motion', 'pair_smoothing'], ['motion'])] : [node('Identity', ['pair_motion'], ['motion'])]),
    node('ReduceMean', ['mean_above_floor'], ['level_of_shape'], { axes: [2], keepdims: 1 }),
    node('ReduceMean', ['std'], ['level_of_spread'], { axes: [2], keepdims: 1 }),
    node('ReduceMean', ['delta_std'], ['level_of_change'], { axes: [2], keepdims: 1 }),
    node('Concat', ['shape', 'spread', 'change', 'motion', 'level_of_shape', 'level_of_spread', 'level_of_change'], ['statistics'], { axis: 2 }),
    node('Flatten', ['statistics'], ['unweighted'], { axis: 1 }),
    node('Mul', ['unweighted', 'group_weights'], [output]),
  ];
  return { nodes, initializers };
}

/** `input` [B, 1, bands] minus its mean over bands. */
function relativeToBandAverage(input: string, output: string) {
  return [node('ReduceMean', [input], [`${input}_band_average`], { axes: [2], keepdims: 1 }), node('Sub', [input, `${input}_band_average`], [output])];
}

/**
 * [n, n] matrix whose column b holds Gaussian weights (std `sigma` bands) centred on b,
 * normalised to sum 1, so `statistic [.., n] x matrix` averages each value with its
 * neighbours; at the edges the weights that would fall outside are dropped.
 */
function gaussianSmoothing(n: number, sigma: number): number[] {
  const matrix = new Array<number>(n * n).fill(0);
  for (let b = 0; b < n; b++) {
    const weights = Array.from({ length: n }, (_, j) => Math.exp(-((j - b) ** 2) / (2 * sigma * sigma)));
    const total = weights.reduce((sum, w) => sum + w, 0);
    weights.forEach((w, j) => (matrix[j * n + b] = w / total));
  }
  return matrix;
}

function groupWeights(modelShape: ModelShape): number[] {
  const { shape, spread, change, motion, levels } = modelShape.weights;
  return [
    ...new Array<number>(MEL_BANDS).fill(shape),
    ...new Array<number>(MEL_BANDS).fill(spread),
    ...new Array<number>(MEL_BANDS).fill(change),
    ...new Array<number>(MOTION_PAIRS).fill(motion),
    ...new Array<number>(LEVELS).fill(levels),
  ];
}

/** The front end and head files of `sharedFrames` for a model of this shape. */
export function buildStatisticsModelSplit(shape: ModelShape = DEFAULT_SHAPE, id: string = statisticsModelCard.id) {
  return splitAtFrames(statisticsModelGraph(shape, 'embedding'), framedFrontEnd(), { ...statisticsModelCard, id }, logMelSharedFrames);
}

/** model.onnx, its front end and head, and card.json in `directory`, for `createEmbedder({ model: directory })`. */
export function writeStatisticsModel(directory: string, shape: ModelShape = DEFAULT_SHAPE, id: string = statisticsModelCard.id): void {
  writeModelFiles(directory, { model: buildStatisticsModel(shape), split: buildStatisticsModelSplit(shape, id), card: { ...statisticsModelCardFile, id } });
}
