import { describe, expect, it } from 'vitest';
import { formatClock, formatSpan } from './search-command.ts';

describe('match times as the CLI prints them', () => {
  it('prints mm:ss, and h:mm:ss from an hour on', () => {
    expect(formatClock(0)).toBe('00:00');
    expect(formatClock(59.999)).toBe('00:59');
    expect(formatClock(754.5)).toBe('12:34');
    expect(formatClock(3599)).toBe('59:59');
    expect(formatClock(3600)).toBe('1:00:00');
    expect(formatClock(2 * 3600 + 5 * 60 + 7)).toBe('2:05:07');
  });

  it('prints a span with an en dash, and an open end for rows without times', () => {
    expect(formatSpan({ start: 95, end: 125 })).toBe('01:35–02:05');
    expect(formatSpan({ start: 3590, end: 3620 })).toBe('59:50–1:00:20');
    expect(formatSpan({ start: 0, end: null })).toBe('00:00–end');
  });
});
