import { describe, expect, it } from 'vitest';
import { bestCorrelationBetween } from '../../bench/quality/recurrence.ts';

/** Seeded noise: a stretch of it is unlike any other stretch. */
function noise(length: number, seed: number): Float32Array {
  let state = seed;
  return Float32Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 30 - 1;
  });
}

describe('bestCorrelationBetween (bench/quality excerpt repeats)', () => {
  // A "track": a 1000-sample bar played at 0 and again at 3000, other noise around it.
  const bar = noise(1000, 7);
  const track = noise(6000, 11);
  track.set(bar, 0);
  track.set(bar, 3000);

  it('finds a sample-exact repeat of the excerpt, scaled or not', () => {
    expect(bestCorrelationBetween(track, bar, 2500, 3500)).toBeCloseTo(1, 6);
    expect(
      bestCorrelationBetween(
        track,
        bar.map((value) => value * 0.25),
        2990,
        2990,
      ),
    ).toBeLessThan(0.2);
    expect(
      bestCorrelationBetween(
        track,
        bar.map((value) => value * 0.25),
        3000,
        3000,
      ),
    ).toBeCloseTo(1, 6);
  });

  it('stays low where the excerpt does not recur', () => {
    expect(bestCorrelationBetween(track, bar, 1000, 2000)).toBeLessThan(0.2);
    expect(bestCorrelationBetween(track, bar, 3100, 5000)).toBeLessThan(0.2);
  });

  it('matches a direct sum at every lag', () => {
    const excerpt = track.slice(1200, 1450);
    const direct = (start: number) => {
      let dot = 0;
      let energy = 0;
      let own = 0;
      for (let k = 0; k < excerpt.length; k++) {
        dot += track[start + k]! * excerpt[k]!;
        energy += track[start + k]! ** 2;
        own += excerpt[k]! ** 2;
      }
      return dot / Math.sqrt(energy * own);
    };
    for (const start of [0, 700, 1190, 4321]) expect(bestCorrelationBetween(track, excerpt, start, start)).toBeCloseTo(direct(start), 6);
    expect(bestCorrelationBetween(track, excerpt, 1100, 1300)).toBeCloseTo(1, 6);
  });

  it('clamps the starts to where the excerpt fits and answers 0 when none does', () => {
    expect(bestCorrelationBetween(track, bar, -500, 100)).toBeCloseTo(1, 6);
    expect(bestCorrelationBetween(track, bar, 5500, 9000)).toBeLessThan(0.2);
    expect(bestCorrelationBetween(track, noise(7000, 3), 0, 10)).toBe(0);
  });
});
