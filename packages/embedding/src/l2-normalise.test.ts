import { describe, expect, it } from 'vitest';
import { EmbeddingError } from './embedding-error.ts';
import { l2Normalise } from './l2-normalise.ts';

describe('l2Normalise', () => {
  it('returns a unit vector in the same direction without touching the input', () => {
    const input = Float32Array.of(3, 0, -4);
    expect(Array.from(l2Normalise(input))).toEqual([0.6000000238418579, 0, -0.800000011920929]);
    expect(Array.from(input)).toEqual([3, 0, -4]);
  });

  it.each([
    ['zero', new Float32Array(4)],
    ['NaN', Float32Array.of(1, Number.NaN)],
    ['infinite', Float32Array.of(1, Number.POSITIVE_INFINITY)],
  ])('refuses a %s vector with SILENT_AUDIO', (_, vector) => {
    expect(() => l2Normalise(vector)).toThrow(expect.objectContaining({ name: 'EmbeddingError', code: 'SILENT_AUDIO' }));
    expect(() => l2Normalise(vector)).toThrow(EmbeddingError);
  });
});
