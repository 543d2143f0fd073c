import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { readNpy } from './npy-reader.ts';

/** np.save output, made by numpy itself, for a given expression. */
function npyFrom(expression: string): Buffer {
  const script = `import io, sys, numpy as np\nb = io.BytesIO()\nnp.save(b, ${expression})\nsys.stdout.buffer.write(b.getvalue())`;
  return execFileSync('/usr/bin/python3', ['-c', script]);
}

describe('readNpy', () => {
  it('reads float32 and float64 matrices written by numpy', () => {
    const single = readNpy(npyFrom('np.arange(12, dtype=np.float32).reshape(3, 4) / 8'));
    expect(single).toMatchObject({ rows: 3, dim: 4 });
    expect(Array.from(single.values)).toEqual(Array.from({ length: 12 }, (_, index) => index / 8));
    const double = readNpy(npyFrom('np.array([[0.5, -1.25], [3.0, 1e-3]])'));
    expect(double).toMatchObject({ rows: 2, dim: 2 });
    expect(double.values[3]).toBeCloseTo(1e-3, 9);
  });

  it('refuses shapes, orders and types it cannot import, saying why', () => {
    expect(() => readNpy(npyFrom('np.zeros(5, dtype=np.float32)'))).toThrow(/2-D/);
    expect(() => readNpy(npyFrom('np.asfortranarray(np.zeros((3, 2), dtype=np.float32))'))).toThrow(/Fortran/);
    expect(() => readNpy(npyFrom('np.zeros((2, 2), dtype=np.int64)'))).toThrow(/<i8/);
    expect(() => readNpy(Buffer.from('not numpy at all'))).toThrow(/magic/);
  });
});
