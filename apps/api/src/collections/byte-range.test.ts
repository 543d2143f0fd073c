import { describe, expect, it } from 'vitest';
import { parseByteRange } from './byte-range.ts';

describe('parseByteRange', () => {
  it('reads first-last, open-ended and suffix ranges, clamped to the body', () => {
    expect(parseByteRange('bytes=0-99', 1000)).toEqual({ first: 0, last: 99 });
    expect(parseByteRange('bytes=500-', 1000)).toEqual({ first: 500, last: 999 });
    expect(parseByteRange('bytes=900-5000', 1000)).toEqual({ first: 900, last: 999 });
    expect(parseByteRange('bytes=-100', 1000)).toEqual({ first: 900, last: 999 });
    expect(parseByteRange('bytes=-5000', 1000)).toEqual({ first: 0, last: 999 });
    expect(parseByteRange(' Bytes = 1 - 2 ', 1000)).toEqual({ first: 1, last: 2 });
  });

  it('answers unsatisfiable for a range past the end or an empty suffix', () => {
    expect(parseByteRange('bytes=1000-', 1000)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=2000-3000', 1000)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=-0', 1000)).toBe('unsatisfiable');
    expect(parseByteRange('bytes=0-', 0)).toBe('unsatisfiable');
  });

  it('ignores what it cannot serve as one range: the whole body goes', () => {
    for (const header of [undefined, 'items=0-1', 'bytes=0-1,5-6', 'bytes=5-2', 'bytes=-', 'bytes=a-b']) {
      expect(parseByteRange(header, 1000)).toBeUndefined();
    }
  });
});
