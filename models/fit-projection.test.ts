import { describe, expect, it } from 'vitest';
import { applyProjection, fitProjection, type ProjectionSettings } from './fit-projection.ts';

/**
 * Twelve recordings in two categories, 4 values each: value 0 says the category (weakly:
 * +-0.3 beside per-recording values of about 1), values 1-2 tell the recordings apart, and
 * an "alteration" moves value 3 (0 for the originals, +-1.5 for the copies) and value 1 with
 * it (by 0.8 x as much), so that a copy's nearest original is another recording's.
 */
const categories = Array.from({ length: 12 }, (_, i) => (i < 6 ? 'x' : 'y'));
const originals = categories.map((category, i) => [category === 'x' ? 0.3 : -0.3, Math.cos(i * 2.1), Math.sin(i * 2.1), 0]);
const copies = [1.5, -1.5].map((shift) => originals.map(([c, a, b]) => [c!, a! + 0.8 * shift, b!, shift]));
const sets = [originals, ...copies];
const settings: ProjectionSettings = { regularisation: 0.01, categoryCollapse: 0, categorySpread: 4, spreadDirections: 1, outputDim: 4 };

const unit = (v: ArrayLike<number>) => {
  const length = Math.hypot(...Array.from(v));
  return Array.from(v, (value) => value / length);
};
const dot = (a: readonly number[], b: readonly number[]) => a.reduce((sum, value, k) => sum + value * b[k]!, 0);
/** How many copies have their own original as the nearest (cosine) of all originals. */
function copiesFound(embed: (x: number[]) => number[]): number {
  const index = originals.map((x) => unit(embed(x)));
  return copies.flat().filter((copy, n) => {
    const query = unit(embed(copy));
    const scores = index.map((row) => dot(row, query));
    return scores.indexOf(Math.max(...scores)) === n % originals.length;
  }).length;
}

describe('fitProjection', () => {
  it('collapses what the alterations move, so every copy finds its own recording', () => {
    expect(copiesFound((x) => x)).toBeLessThan(24);
    const fitted = fitProjection(sets, categories, settings);
    expect(copiesFound((x) => Array.from(applyProjection(fitted, x)))).toBe(24);
  });

  it('moves the categories apart', () => {
    const spreadOf = (embed: (x: number[]) => number[]) => {
      const vectors = originals.map((x) => unit(embed(x)));
      let same = 0;
      let other = 0;
      vectors.forEach((a, i) => vectors.forEach((b, j) => (i === j ? 0 : categories[i] === categories[j] ? (same += dot(a, b)) : (other += dot(a, b)))));
      return same / 30 - other / 36;
    };
    const fitted = fitProjection(sets, categories, settings);
    expect(spreadOf((x) => Array.from(applyProjection(fitted, x)))).toBeGreaterThan(spreadOf((x) => x.slice(0, 3)) + 0.2);
  });

  it('is deterministic, fits only the rows given and cuts the output to outputDim', () => {
    const first = fitProjection(sets, categories, settings);
    const second = fitProjection(sets, categories, settings);
    expect(Buffer.from(first.matrix.buffer).equals(Buffer.from(second.matrix.buffer))).toBe(true);
    expect(Buffer.from(first.mean.buffer).equals(Buffer.from(second.mean.buffer))).toBe(true);
    const cut = fitProjection(sets, categories, { ...settings, outputDim: 2 }, [0, 1, 2, 6, 7, 8]);
    expect(cut.matrix).toHaveLength(8);
    expect(applyProjection(cut, originals[0]!)).toHaveLength(2);
    expect(cut.mean[1]).toBeCloseTo(
      (originals[0]![1]! + originals[1]![1]! + originals[2]![1]! + originals[6]![1]! + originals[7]![1]! + originals[8]![1]!) / 6,
      12,
    );
  });

  it('also shrinks what extra groups of copies move, clips that are in no category', () => {
    // The recordings' own copies move nothing here; only the extra clips show the alteration.
    const unaltered = [originals, originals];
    const shown = (shift: number, [c, a, b]: number[]) => [c! + 0.1, a! + 0.5 + 0.8 * shift, b! - 0.2, shift];
    const groups = originals.map((x) => [shown(0, x), shown(1.5, x), shown(-1.5, x)]);
    const without = fitProjection(unaltered, categories, settings);
    expect(copiesFound((x) => Array.from(applyProjection(without, x)))).toBeLessThan(24);
    const fitted = fitProjection(unaltered, categories, settings, undefined, { groups, weight: 1 });
    expect(copiesFound((x) => Array.from(applyProjection(fitted, x)))).toBe(24);
  });

  it('stretches what tells near twins apart when twinSpread is set', () => {
    // Ten recordings, 3 values: the category, a value per recording, and one that the
    // alteration moves (+-1 for the copies). Recording 1 is recording 0's near twin: it differs
    // only by 0.2 along what the alteration moves, which the whitening therefore squeezes.
    const labels = Array.from({ length: 10 }, (_, i) => (i < 5 ? 'x' : 'y'));
    const own = labels.map((label, i) => [label === 'x' ? 1 : -1, i === 1 ? 0 : i * 0.5, i === 1 ? 0.2 : 0]);
    const twinSets = [own, ...[1, -1].map((shift) => own.map(([c, r, a]) => [c!, r!, a! + shift]))];
    const twinDistance = (extra: Partial<ProjectionSettings>) => {
      const fitted = fitProjection(twinSets, labels, {
        regularisation: 0.01,
        categoryCollapse: 0,
        categorySpread: 0,
        spreadDirections: 0,
        outputDim: 3,
        ...extra,
      });
      const vectors = own.map((x) => Array.from(applyProjection(fitted, x)));
      const distance = (a: number[], b: number[]) => Math.hypot(...a.map((value, k) => value - b[k]!));
      // The twins' distance against that of recordings 2 and 3, a pair as far apart as any.
      return distance(vectors[0]!, vectors[1]!) / distance(vectors[2]!, vectors[3]!);
    };
    const without = twinDistance({});
    expect(twinDistance({ twinSpread: 8, twinDirections: 1, twinCloseness: true })).toBeGreaterThan(without * 3);
    // Counted as they are, the nine far-apart nearest pairs choose the direction, not the twins'.
    expect(twinDistance({ twinSpread: 8, twinDirections: 1 })).toBeLessThan(without);
    expect(twinDistance({ twinSpread: 0, twinDirections: 1 })).toBe(without);
  });
});
