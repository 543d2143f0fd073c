/**
 * Fits the linear head of the default model (models/build-default-model.ts) in closed form:
 * y = (x - mean) P, with x the model's statistics, on recordings and altered copies of them
 * (the alterations of bench/quality/alterations.ts) grouped into categories.
 *
 *   1. Alteration scatter S_alt: each copy around the mean of its recording's copies, so
 *      the directions that gain, noise, MP3, a cut or a speed change move a vector along;
 *      optionally plus `extraWeight` x the same scatter of extra groups (copies of clips
 *      that are in no category, such as excerpts of long recordings), which only say what
 *      alterations move.
 *      Category scatter S_cat: each recording (mean of its copies) around its category's
 *      mean, every category weighted alike.
 *   2. W = (S_alt + categoryCollapse S_cat + regularisation t I)^(-1/2), t the mean
 *      eigenvalue of S_alt: shrinks those directions, so copies of one recording come
 *      together (and, less, recordings of one category); the ridge keeps directions that
 *      no alteration moved from being blown up.
 *   3. The top `spreadDirections` eigenvectors U of W S_between W (the category means'
 *      scatter after W; one fewer than the categories carry any): P = W (I + categorySpread
 *      U U^T) stretches them, so categories move apart.
 *      Optionally (`twinSpread` > 0) also the top `twinDirections` eigenvectors V of the
 *      scatter of each recording's difference from its nearest other recording after W:
 *      P = W (I + categorySpread U U^T + twinSpread V V^T). Squeezing what alterations move
 *      and what varies within a category also squeezes what tells two near-twin recordings
 *      apart (two short sounds of one theme, one phrase in two voices), so a copy of one
 *      can rank the other first; these directions are stretched back.
 *   4. Rotated onto the principal axes of the projected training vectors and cut to
 *      `outputDim` (cosines keep what the dropped axes carried least of).
 *
 * Deterministic: every step is a fixed sum or a Jacobi eigen-decomposition.
 */
import { symmetricEigen } from './symmetric-eigen.ts';

export interface ProjectionSettings {
  readonly regularisation: number;
  readonly categoryCollapse: number;
  readonly categorySpread: number;
  readonly spreadDirections: number;
  readonly outputDim: number;
  /** Stretch of the near-twin directions (step 3); 0 or absent: none. */
  readonly twinSpread?: number;
  readonly twinDirections?: number;
  /**
   * Count each recording's nearest-twin difference as a unit direction weighted by
   * 1 / distance^2, so the closest pairs choose the directions; otherwise as it is, where the
   * far-apart "nearest" pairs of distinct recordings outweigh the true twins.
   */
  readonly twinCloseness?: boolean;
}

export interface FittedProjection {
  readonly inputDim: number;
  readonly outputDim: number;
  /** [inputDim] subtracted first. */
  readonly mean: Float64Array;
  /** Row-major [inputDim, outputDim]. */
  readonly matrix: Float64Array;
}

/**
 * `sets[s][i]`: recording i's vector, unaltered (s = 0) or under alteration s; `categories[i]`
 * its category. Only the recordings listed in `rows` are used (all when omitted).
 */
export interface ExtraAlterationGroups {
  /** Each group: one clip's vectors, as it is and under alterations. */
  readonly groups: readonly (readonly ArrayLike<number>[])[];
  /** Their scatter's weight beside the recordings' (each an average over its copies). */
  readonly weight: number;
}

export function fitProjection(
  sets: readonly (readonly ArrayLike<number>[])[],
  categories: readonly string[],
  settings: ProjectionSettings,
  rows?: readonly number[],
  extra?: ExtraAlterationGroups,
): FittedProjection {
  const used = rows ?? [...categories.keys()];
  const d = sets[0]![0]!.length;
  const recordingMeans = used.map((i) => {
    const mean = new Float64Array(d);
    for (const set of sets) for (let k = 0; k < d; k++) mean[k]! += set[i]![k]! / sets.length;
    return mean;
  });
  const alteration = new Float64Array(d * d);
  used.forEach((i, r) => {
    for (const set of sets) addOuter(alteration, difference(set[i]!, recordingMeans[r]!), 1 / (sets.length * used.length));
  });
  if (extra && extra.groups.length > 0) {
    const copies = extra.groups.reduce((sum, group) => sum + group.length, 0);
    for (const group of extra.groups) {
      const groupMean = averageOf(
        group.map((vector) => Float64Array.from(vector)),
        d,
      );
      for (const vector of group) addOuter(alteration, difference(vector, groupMean), extra.weight / copies);
    }
  }
  const overallMean = averageOf(recordingMeans, d);
  const byCategory = new Map<string, Float64Array[]>();
  used.forEach((i, r) => byCategory.set(categories[i]!, [...(byCategory.get(categories[i]!) ?? []), recordingMeans[r]!]));
  const between = new Float64Array(d * d);
  const within = new Float64Array(d * d);
  for (const members of byCategory.values()) {
    const categoryMean = averageOf(members, d);
    addOuter(between, difference(categoryMean, overallMean), 1 / byCategory.size);
    for (const member of members) addOuter(within, difference(member, categoryMean), 1 / (members.length * byCategory.size));
  }

  let ridge = 0;
  for (let k = 0; k < d; k++) ridge += alteration[k * d + k]! / d;
  const shrunk = alteration.map((value, index) => value + settings.categoryCollapse * within[index]!);
  for (let k = 0; k < d; k++) shrunk[k * d + k]! += settings.regularisation * ridge;
  const whitening = inverseSquareRoot(shrunk, d);
  const spread = symmetricEigen(multiply(multiply(whitening, between, d, d, d), whitening, d, d, d), d).vectors;
  const stretch = new Float64Array(d * d);
  for (let k = 0; k < d; k++) stretch[k * d + k] = 1;
  for (let j = 0; j < settings.spreadDirections; j++) {
    for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) stretch[a * d + b]! += settings.categorySpread * spread[a * d + j]! * spread[b * d + j]!;
  }
  const twinSpread = settings.twinSpread ?? 0;
  if (twinSpread > 0) {
    const twins = symmetricEigen(nearestTwinScatter(recordingMeans, whitening, d, settings.twinCloseness ?? false), d).vectors;
    for (let j = 0; j < (settings.twinDirections ?? 0); j++) {
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) stretch[a * d + b]! += twinSpread * twins[a * d + j]! * twins[b * d + j]!;
    }
  }
  const projection = multiply(whitening, stretch, d, d, d);

  const projected = new Float64Array(d * d);
  for (const set of sets) for (const i of used) addOuter(projected, project(difference(set[i]!, overallMean), projection, d, d), 1);
  const axes = symmetricEigen(projected, d).vectors;
  const matrix = multiply(projection, firstColumns(axes, d, settings.outputDim), d, d, settings.outputDim);
  return { inputDim: d, outputDim: settings.outputDim, mean: overallMean, matrix };
}

/**
 * Scatter of each recording's difference from its nearest other recording (Euclidean), both
 * after the whitening W (symmetric, so x W = W x): the directions that tell near twins apart
 * in the space the head sees.
 */
function nearestTwinScatter(means: readonly Float64Array[], whitening: Float64Array, d: number, byCloseness: boolean): Float64Array {
  const whitened = means.map((mean) => project(mean, whitening, d, d));
  const scatter = new Float64Array(d * d);
  whitened.forEach((vector, r) => {
    let nearest = -1;
    let nearestDistance = Infinity;
    whitened.forEach((other, o) => {
      if (o === r) return;
      let distance = 0;
      for (let k = 0; k < d; k++) distance += (vector[k]! - other[k]!) ** 2;
      if (distance < nearestDistance) [nearest, nearestDistance] = [o, distance];
    });
    // Exact copies (distance 0) have no direction to keep apart.
    if (nearest < 0 || nearestDistance === 0) return;
    addOuter(scatter, difference(vector, whitened[nearest]!), (byCloseness ? 1 / nearestDistance ** 2 : 1) / whitened.length);
  });
  return scatter;
}

/** (x - mean) P. */
export function applyProjection(fitted: FittedProjection, x: ArrayLike<number>): Float64Array {
  return project(difference(x, fitted.mean), fitted.matrix, fitted.inputDim, fitted.outputDim);
}

function difference(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: a.length }, (_, k) => a[k]! - b[k]!);
}

function averageOf(vectors: readonly Float64Array[], d: number): Float64Array {
  const mean = new Float64Array(d);
  for (const vector of vectors) for (let k = 0; k < d; k++) mean[k]! += vector[k]! / vectors.length;
  return mean;
}

function addOuter(target: Float64Array, x: Float64Array, weight: number): void {
  const d = x.length;
  for (let a = 0; a < d; a++) {
    const xa = x[a]! * weight;
    if (xa === 0) continue;
    for (let b = 0; b < d; b++) target[a * d + b]! += xa * x[b]!;
  }
}

function project(x: Float64Array, matrix: Float64Array, rows: number, columns: number): Float64Array {
  const y = new Float64Array(columns);
  for (let a = 0; a < rows; a++) {
    const xa = x[a]!;
    for (let b = 0; b < columns; b++) y[b]! += xa * matrix[a * columns + b]!;
  }
  return y;
}

/** [n, m] x [m, p], row-major. */
function multiply(left: Float64Array, right: Float64Array, n: number, m: number, p: number): Float64Array {
  const out = new Float64Array(n * p);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < m; k++) {
      const lik = left[i * m + k]!;
      if (lik === 0) continue;
      for (let j = 0; j < p; j++) out[i * p + j]! += lik * right[k * p + j]!;
    }
  }
  return out;
}

function inverseSquareRoot(matrix: Float64Array, d: number): Float64Array {
  const { values, vectors } = symmetricEigen(matrix, d);
  const out = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    const factor = 1 / Math.sqrt(Math.max(values[j]!, Number.MIN_VALUE));
    for (let a = 0; a < d; a++) {
      const va = vectors[a * d + j]! * factor;
      for (let b = 0; b < d; b++) out[a * d + b]! += va * vectors[b * d + j]!;
    }
  }
  return out;
}

function firstColumns(matrix: Float64Array, d: number, count: number): Float64Array {
  const out = new Float64Array(d * count);
  for (let a = 0; a < d; a++) for (let j = 0; j < count; j++) out[a * count + j] = matrix[a * d + j]!;
  return out;
}
