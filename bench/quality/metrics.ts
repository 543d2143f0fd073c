/** Row-major [rows, dim] matrix of unit vectors: the in-memory index. */
export interface VectorMatrix {
  readonly rows: number;
  readonly dim: number;
  readonly data: Float32Array;
}

export function stackVectors(vectors: readonly Float32Array[]): VectorMatrix {
  const dim = vectors[0]?.length ?? 0;
  const data = new Float32Array(vectors.length * dim);
  vectors.forEach((vector, row) => {
    if (vector.length !== dim) throw new Error(`vector ${row} has ${vector.length} values, expected ${dim}`);
    data.set(vector, row * dim);
  });
  return { rows: vectors.length, dim, data };
}

export function cosineScores(index: VectorMatrix, query: Float32Array): Float64Array {
  const scores = new Float64Array(index.rows);
  for (let row = 0; row < index.rows; row++) {
    let dot = 0;
    const offset = row * index.dim;
    for (let d = 0; d < index.dim; d++) dot += index.data[offset + d]! * query[d]!;
    scores[row] = dot;
  }
  return scores;
}

/**
 * 0-based rank of `expected` among `scores`, highest first. A tie counts against it:
 * a row that scores exactly as high is ranked ahead, so ties never flatter the recall.
 */
export function rankOf(scores: Float64Array, expected: number): number {
  const target = scores[expected]!;
  let rank = 0;
  scores.forEach((score, row) => {
    if (row !== expected && score >= target) rank += 1;
  });
  return rank;
}

export interface QueryOutcome {
  readonly rank: number;
  /** Cosine between the altered copy and its original. */
  readonly selfScore: number;
  /** Highest cosine between the altered copy and any other recording. */
  readonly bestOtherScore: number;
  /** The recording ranked first. */
  readonly top: number;
}

export function queryOutcome(index: VectorMatrix, query: Float32Array, expected: number): QueryOutcome {
  const scores = cosineScores(index, query);
  let top = 0;
  let bestOtherScore = -Infinity;
  scores.forEach((score, row) => {
    if (score > scores[top]!) top = row;
    if (row !== expected && score > bestOtherScore) bestOtherScore = score;
  });
  return { rank: rankOf(scores, expected), selfScore: scores[expected]!, bestOtherScore, top };
}

export interface RecallSummary {
  readonly queries: number;
  readonly recallAt1: number;
  readonly recallAt5: number;
  readonly meanSelfScore: number;
  readonly meanBestOtherScore: number;
  /** Mean of cos(copy, original) - best cos(copy, other): how far ahead the original is, on average. */
  readonly meanMargin: number;
}

export function summarise(outcomes: readonly QueryOutcome[]): RecallSummary {
  const n = outcomes.length;
  const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);
  return {
    queries: n,
    recallAt1: outcomes.filter((outcome) => outcome.rank < 1).length / n,
    recallAt5: outcomes.filter((outcome) => outcome.rank < 5).length / n,
    meanSelfScore: mean(outcomes.map((outcome) => outcome.selfScore)),
    meanBestOtherScore: mean(outcomes.map((outcome) => outcome.bestOtherScore)),
    meanMargin: mean(outcomes.map((outcome) => outcome.selfScore - outcome.bestOtherScore)),
  };
}

export interface PairwiseSummary {
  readonly pairs: number;
  readonly mean: number;
  readonly median: number;
  readonly p95: number;
  readonly max: number;
  readonly fractionAbove09: number;
}

/** Cosines between every pair of different rows of the index. */
export function pairwiseCosines(index: VectorMatrix): PairwiseSummary {
  const values: number[] = [];
  for (let a = 0; a < index.rows; a++) {
    const scores = cosineScores(index, index.data.subarray(a * index.dim, (a + 1) * index.dim));
    for (let b = a + 1; b < index.rows; b++) values.push(scores[b]!);
  }
  values.sort((x, y) => x - y);
  const quantile = (q: number) => values[Math.min(values.length - 1, Math.floor(q * values.length))] ?? NaN;
  return {
    pairs: values.length,
    mean: values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length),
    median: quantile(0.5),
    p95: quantile(0.95),
    max: values[values.length - 1] ?? NaN,
    fractionAbove09: values.filter((value) => value > 0.9).length / Math.max(1, values.length),
  };
}

/** Mean cosine over pairs (a, b), a in `rowsA`, b in `rowsB`, a != b, each unordered pair once. */
export function meanCosineBetween(index: VectorMatrix, rowsA: readonly number[], rowsB: readonly number[]): number {
  let sum = 0;
  let pairs = 0;
  const inB = new Set(rowsB);
  for (const a of rowsA) {
    const scores = cosineScores(index, index.data.subarray(a * index.dim, (a + 1) * index.dim));
    for (const b of rowsB) {
      if (a === b || (inB.has(a) && rowsA.includes(b) && b < a)) continue;
      sum += scores[b]!;
      pairs += 1;
    }
  }
  return sum / Math.max(1, pairs);
}

export interface CategoryPrecision {
  readonly category: string;
  readonly members: number;
  /** Neighbours looked at per member: min(5, members - 1). */
  readonly k: number;
  /** Mean over members of the fraction of their k nearest other recordings in the same category. */
  readonly precision: number;
}

/**
 * Category precision@k, leave-one-out: for each recording, the share of its k nearest other
 * recordings (ties broken by row, which favours nobody in particular) that are of its own
 * category, averaged per category. The macro average over categories is the headline, so a
 * category of 70 prompts does not outweigh one of 4 voices' phrases.
 */
export function categoryPrecision(index: VectorMatrix, categories: readonly string[]): { perCategory: CategoryPrecision[]; macro: number } {
  const byCategory = new Map<string, number[]>();
  categories.forEach((category, row) => byCategory.set(category, [...(byCategory.get(category) ?? []), row]));
  const perCategory = [...byCategory.entries()].map(([category, rows]): CategoryPrecision => {
    const k = Math.min(5, rows.length - 1);
    let sum = 0;
    for (const row of rows) {
      const scores = cosineScores(index, index.data.subarray(row * index.dim, (row + 1) * index.dim));
      const neighbours = [...scores.keys()].filter((other) => other !== row).sort((x, y) => scores[y]! - scores[x]! || x - y);
      sum += neighbours.slice(0, k).filter((other) => categories[other] === category).length / Math.max(1, k);
    }
    return { category, members: rows.length, k, precision: sum / rows.length };
  });
  const macro = perCategory.reduce((total, entry) => total + entry.precision, 0) / Math.max(1, perCategory.length);
  return { perCategory, macro };
}
