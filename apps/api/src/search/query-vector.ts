import { AppError } from '@audio-index/shared';

/** Checks a caller's query vector and scales it to unit length, so scores stay cosines. */
export function normaliseQueryVector(values: readonly number[], dim: number, what = 'query vector'): Float32Array {
  if (values.length !== dim) {
    throw new AppError('BAD_VECTOR', `${what} has ${values.length} dimensions; the collection has ${dim}`, {
      details: { expected: dim, actual: values.length },
    });
  }
  // Checked as float32, the type it is stored in: 1e39 is a finite double but not a float.
  const vector = Float32Array.from(values);
  let sumOfSquares = 0;
  for (const value of vector) {
    if (!Number.isFinite(value)) throw new AppError('BAD_VECTOR', `${what} holds a value that is not a finite float32`);
    sumOfSquares += value * value;
  }
  if (sumOfSquares === 0 || !Number.isFinite(sumOfSquares)) throw new AppError('BAD_VECTOR', `${what} has no usable length (all zeros or overflowing)`);
  const norm = Math.sqrt(sumOfSquares);
  for (let index = 0; index < vector.length; index += 1) vector[index]! /= norm;
  return vector;
}
