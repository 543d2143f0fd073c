import { EmbeddingError } from './embedding-error.ts';

/**
 * Returns a new unit-length copy of `vector`, so that inner product is cosine similarity.
 * A zero vector has no direction and a non-finite one comes from broken input; both are
 * refused with SILENT_AUDIO (a permanent failure) rather than indexed as garbage.
 */
export function l2Normalise(vector: Float32Array): Float32Array {
  let sumOfSquares = 0;
  for (const value of vector) sumOfSquares += value * value;
  if (!Number.isFinite(sumOfSquares)) {
    throw new EmbeddingError('SILENT_AUDIO', 'embedding has non-finite values; the audio is probably corrupt');
  }
  if (sumOfSquares === 0) {
    throw new EmbeddingError('SILENT_AUDIO', 'embedding is all zeros; the audio is silent');
  }
  const norm = Math.sqrt(sumOfSquares);
  const unit = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) unit[i] = vector[i]! / norm;
  return unit;
}
