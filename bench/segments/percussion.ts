import type { SeededRandom } from './seeded-random.ts';

/**
 * A seeded drum pattern (kick, snare, hi-hat, a tuned tom) on a 16th-note grid, `seconds`
 * long at `sampleRate`: the "percussion" of the long recordings, never the same twice.
 */
export function percussionPattern(random: SeededRandom, seconds: number, sampleRate: number): Float32Array {
  const out = new Float32Array(Math.round(seconds * sampleRate));
  const beatsPerMinute = random.uniform(80, 160);
  const step = 60 / beatsPerMinute / 4;
  const tomHz = random.uniform(90, 260);
  const density = { kick: random.uniform(0.15, 0.4), snare: random.uniform(0.1, 0.3), hat: random.uniform(0.3, 0.9), tom: random.uniform(0, 0.15) };
  const pattern = Array.from({ length: 16 }, (_, index) => ({
    kick: index % 4 === 0 ? random.next() < 0.8 : random.next() < density.kick,
    snare: index % 8 === 4 ? random.next() < 0.8 : random.next() < density.snare,
    hat: random.next() < density.hat,
    tom: random.next() < density.tom,
  }));
  for (let time = 0, index = 0; time < seconds; time += step, index += 1) {
    const hits = pattern[index % 16]!;
    const at = Math.round(time * sampleRate);
    if (hits.kick) addHit(out, at, sampleRate, 0.25, (t) => Math.sin(2 * Math.PI * (50 * t + (70 * (1 - Math.exp(-t * 30))) / 30)) * Math.exp(-t / 0.12));
    if (hits.snare) addHit(out, at, sampleRate, 0.2, (t) => (0.7 * (random.next() * 2 - 1) + 0.3 * Math.sin(2 * Math.PI * 190 * t)) * Math.exp(-t / 0.07));
    if (hits.hat) {
      let previous = 0;
      addHit(out, at, sampleRate, 0.06, (t) => {
        const noise = random.next() * 2 - 1;
        const highPassed = noise - previous;
        previous = noise;
        return 0.35 * highPassed * Math.exp(-t / 0.02);
      });
    }
    if (hits.tom) addHit(out, at, sampleRate, 0.3, (t) => 0.8 * Math.sin(2 * Math.PI * tomHz * t) * Math.exp(-t / 0.1));
  }
  return out;
}

function addHit(out: Float32Array, at: number, sampleRate: number, seconds: number, shape: (t: number) => number): void {
  const end = Math.min(out.length, at + Math.round(seconds * sampleRate));
  for (let i = at; i < end; i += 1) out[i]! += 0.5 * shape((i - at) / sampleRate);
}
