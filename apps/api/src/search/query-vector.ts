import { AppError } from '@audio-index/shared';

/** Checks a caller's query vector and scales it to unit length, so scores stay cosines. */
export function normaliseQueryVector(values: readonly number[], dim: number): Float32Array {
  if (values.length !== dim) {
    throw new AppError('BAD_VECTOR', `query vector has ${values.length} dimensions; the collection has ${dim}`, {
      details: { expected: dim, actual: values.length },
    });
  }
  let sumOfSquares = 0;
  for (const value of values) {
    if (!Number.isFinite(value)) throw new AppError('BAD_VECTOR', 'query vector holds a non-finite value');
    sumOfSquares += value * value;
  }
  if (sumOfSquares === 0) throw new AppError('BAD_VECTOR', 'query vector is all zeros');
  const norm = Math.sqrt(sumOfSquares);
  return Float32Array.from(values, (value) => value / norm);
}
