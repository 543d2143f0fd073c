import { describe, expect, it } from 'vitest';
import { symmetricEigen } from './symmetric-eigen.ts';

describe('symmetricEigen', () => {
  it('gives eigenpairs, largest first, that rebuild the matrix', () => {
    const n = 5;
    // B^T B + a known diagonal: symmetric, with distinct eigenvalues.
    const b = Array.from({ length: n * n }, (_, k) => Math.sin(k * 1.7) + (k % 3));
    const matrix = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) for (let k = 0; k < n; k++) matrix[i * n + j]! += b[k * n + i]! * b[k * n + j]!;
    const { values, vectors } = symmetricEigen(matrix, n);
    for (let j = 1; j < n; j++) expect(values[j]!).toBeLessThanOrEqual(values[j - 1]!);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        let rebuilt = 0;
        let identity = 0;
        for (let k = 0; k < n; k++) {
          rebuilt += vectors[i * n + k]! * values[k]! * vectors[j * n + k]!;
          identity += vectors[k * n + i]! * vectors[k * n + j]!;
        }
        expect(rebuilt).toBeCloseTo(matrix[i * n + j]!, 9);
        expect(identity).toBeCloseTo(i === j ? 1 : 0, 12);
      }
    }
  });

  it('finds a diagonal matrix in one step and refuses a wrong size', () => {
    const { values } = symmetricEigen(Float64Array.from([1, 0, 0, 0, 3, 0, 0, 0, 2]), 3);
    expect(Array.from(values)).toEqual([3, 2, 1]);
    expect(() => symmetricEigen(new Float64Array(8), 3)).toThrow(/expected 9 values/);
  });
});
