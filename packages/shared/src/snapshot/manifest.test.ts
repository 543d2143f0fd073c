import { describe, expect, it } from 'vitest';
import { compareStreamIds } from './manifest.ts';

describe('compareStreamIds', () => {
  it('orders numerically where string order would not', () => {
    expect(compareStreamIds('9-0', '10-0')).toBe(-1);
    expect(compareStreamIds('10-2', '10-10')).toBe(-1);
    expect(compareStreamIds('1700000000000-5', '1700000000000-5')).toBe(0);
    expect(compareStreamIds('2-0', '1-99')).toBe(1);
    expect(compareStreamIds('1-0', '0-0')).toBe(1);
  });
});
