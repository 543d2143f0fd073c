import { createHash } from 'node:crypto';

/** A seeded uniform generator in [0, 1): mulberry32, seeded from sha256 of `seedText`. */
export function seededRandom(seedText: string): SeededRandom {
  let state = createHash('sha256').update(seedText).digest().readUInt32LE(0);
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  return new SeededRandom(next);
}

export class SeededRandom {
  constructor(readonly next: () => number) {}

  uniform(low: number, high: number): number {
    return low + (high - low) * this.next();
  }

  integer(low: number, highExclusive: number): number {
    return Math.floor(this.uniform(low, highExclusive));
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[this.integer(0, items.length)]!;
  }

  /** Standard normal (Box-Muller). */
  normal(): number {
    return Math.sqrt(-2 * Math.log(1 - this.next())) * Math.cos(2 * Math.PI * this.next());
  }

  /** A shuffled copy (Fisher-Yates). */
  shuffled<T>(items: readonly T[]): T[] {
    const copy = [...items];
    for (let i = copy.length - 1; i > 0; i -= 1) {
      const j = this.integer(0, i + 1);
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy;
  }
}
