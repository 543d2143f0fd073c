/**
 * Seeded synthetic music for fitting a learned head (bench/quality/learn-robust-head.ts):
 * what noise and speed changes do to 5-second stretches of music, without fitting on the
 * music-on-hold tracks that the bench's excerpt case judges with. Each track has its own
 * tempo, scale, timbre (harmonic weights, attack and decay), a bass line, chords and a
 * drum pattern, so its stretches differ the way a loop-based track's do.
 */
import { seededRandom } from './alterations.ts';

const SAMPLE_RATE = 16_000;

export interface SyntheticTrack {
  readonly name: string;
  readonly samples: Float32Array;
}

const SCALES = [
  [0, 2, 4, 5, 7, 9, 11], // major
  [0, 2, 3, 5, 7, 8, 10], // minor
  [0, 2, 4, 7, 9], // pentatonic
  [0, 3, 5, 6, 7, 10], // blues
];

/** Adds a note: harmonics with the track's weights, an attack and an exponential decay. */
function addNote(out: Float32Array, start: number, seconds: number, frequency: number, level: number, harmonics: readonly number[], decay: number): void {
  const from = Math.round(start * SAMPLE_RATE);
  const length = Math.min(Math.round(seconds * SAMPLE_RATE), out.length - from);
  const attack = 0.01 * SAMPLE_RATE;
  for (let n = 0; n < length; n++) {
    const t = n / SAMPLE_RATE;
    const envelope = Math.min(1, n / attack) * Math.exp(-t * decay) * Math.min(1, (length - n) / attack);
    let value = 0;
    harmonics.forEach((weight, h) => {
      const partial = frequency * (h + 1);
      if (partial < SAMPLE_RATE / 2) value += weight * Math.sin(2 * Math.PI * partial * t);
    });
    out[from + n]! += level * envelope * value;
  }
}

function addDrum(out: Float32Array, start: number, kind: 'kick' | 'hat', random: () => number): void {
  const from = Math.round(start * SAMPLE_RATE);
  const length = Math.min(Math.round((kind === 'kick' ? 0.25 : 0.06) * SAMPLE_RATE), out.length - from);
  let previous = 0;
  for (let n = 0; n < length; n++) {
    const t = n / SAMPLE_RATE;
    if (kind === 'kick') {
      out[from + n]! += 0.5 * Math.exp(-t * 18) * Math.sin(2 * Math.PI * (50 + 90 * Math.exp(-t * 30)) * t);
    } else {
      const white = random() * 2 - 1;
      out[from + n]! += 0.15 * Math.exp(-t * 60) * (white - previous); // a difference: high-passed
      previous = white;
    }
  }
}

export function syntheticTrack(index: number, seconds: number): SyntheticTrack {
  const random = seededRandom(`synthetic-music/${index}`);
  const out = new Float32Array(Math.round(seconds * SAMPLE_RATE));
  const beat = 60 / (80 + Math.floor(random() * 80));
  const scale = SCALES[index % SCALES.length]!;
  const root = 110 * 2 ** (Math.floor(random() * 12) / 12);
  const harmonics = Array.from({ length: 6 }, (_, h) => (h === 0 ? 1 : random() / (h + 1)));
  const decay = 1 + random() * 6;
  const pitch = (degree: number, octave: number) =>
    root * 2 ** (octave + (scale[((degree % scale.length) + scale.length) % scale.length]! + 12 * Math.floor(degree / scale.length)) / 12);
  const bars = Math.ceil(seconds / (4 * beat));
  // A four-bar loop with a fresh melody every other loop: repeats, as music does.
  const chordRoots = Array.from({ length: 4 }, () => Math.floor(random() * scale.length));
  let melody: number[] = [];
  for (let bar = 0; bar < bars; bar++) {
    if (bar % 8 === 0) melody = Array.from({ length: 8 }, () => Math.floor(random() * 2 * scale.length));
    const start = bar * 4 * beat;
    const chord = chordRoots[bar % 4]!;
    addNote(out, start, 4 * beat, pitch(chord, 0) / 2, 0.25, [1, 0.3], 0.5);
    for (const step of [0, 2, 4]) addNote(out, start, 4 * beat, pitch(chord + step, 1), 0.08, harmonics, 0.3);
    for (let eighth = 0; eighth < 8; eighth++) {
      if (random() < 0.75) addNote(out, start + eighth * (beat / 2), beat / 2, pitch(melody[eighth]!, 1), 0.2, harmonics, decay);
      addDrum(out, start + eighth * (beat / 2), eighth % 4 === 0 ? 'kick' : 'hat', random);
    }
  }
  let peak = 0;
  for (const value of out) peak = Math.max(peak, Math.abs(value));
  for (let n = 0; n < out.length; n++) out[n] = (0.5 * out[n]!) / peak;
  return { name: `synthetic-music-${index}`, samples: out };
}
