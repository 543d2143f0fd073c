import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { percussionPattern } from './percussion.ts';
import { seededRandom, type SeededRandom } from './seeded-random.ts';
import { decodeToSamples, durationSeconds, licenseSentences, listSourceFiles, SAMPLE_RATE, speak, type Voice } from './source-audio.ts';
import { quantise16, writeWav } from './wav-file.ts';

/**
 * The long-recording set: recordings of ~2 minutes and a few of ~20 minutes, each a
 * concatenation of pieces no other recording uses (Asterisk prompts in two languages, chunks
 * of music on hold, desktop sounds, espeak-ng reading license texts in voices of its own,
 * seeded drum patterns), every piece at its own level (-6..+6 dB around -20 dBFS) and
 * followed by a gap of digital silence or low noise. Deterministic from the seed.
 */
export interface SetOptions {
  readonly seed: string;
  readonly shortRecordings: number;
  readonly shortSeconds: readonly [number, number];
  readonly longRecordings: number;
  readonly longSeconds: number;
}

export const DEFAULT_SET: SetOptions = { seed: 'segments-v1', shortRecordings: 40, shortSeconds: [100, 140], longRecordings: 3, longSeconds: 1200 };

/** Bump when the way pieces are made changes: the cache key includes it. */
const GENERATOR_VERSION = 3;

export type PieceSource = 'asterisk-en' | 'asterisk-fr' | 'music' | 'sound' | 'speech' | 'percussion';
const SOURCES: readonly PieceSource[] = ['asterisk-en', 'asterisk-fr', 'music', 'sound', 'speech', 'percussion'];

export interface PlacedPiece {
  readonly source: PieceSource;
  readonly label: string;
  readonly start: number;
  readonly end: number;
  readonly gainDb: number;
}

export interface SetRecording {
  readonly id: string;
  /** Absolute path of the 16 kHz mono 16-bit WAV. */
  readonly file: string;
  readonly seconds: number;
  readonly pieces: readonly PlacedPiece[];
}

export interface LongRecordingSet {
  readonly key: string;
  readonly directory: string;
  readonly sampleRate: number;
  readonly recordings: readonly SetRecording[];
}

type PieceSpec =
  | { readonly source: 'asterisk-en' | 'asterisk-fr' | 'sound'; readonly file: string }
  | { readonly source: 'music'; readonly file: string; readonly from: number; readonly to: number }
  | { readonly source: 'speech'; readonly text: string; readonly voice: Voice }
  | { readonly source: 'percussion'; readonly seed: string; readonly seconds: number };

const LANGUAGES = ['en', 'en-us', 'en-gb-scotland', 'en-gb-x-rp', 'en-029', 'en-us-nyc', 'en-gb-x-gbclan', 'en-gb-x-gbcwmd'] as const;
const VARIANTS = [
  'm1',
  'm2',
  'm3',
  'm4',
  'm5',
  'm6',
  'm7',
  'f1',
  'f2',
  'f3',
  'f4',
  'f5',
  'klatt',
  'klatt2',
  'klatt3',
  'Alex',
  'Andy',
  'announcer',
  'Gene',
  'john',
  'linda',
  'max',
  'michel',
  'norbert',
  'paul',
  'grandpa',
  'aunty',
  'edward',
  'iven',
  'Storm',
] as const;

/** Builds the set under `cacheDirectory` unless a complete copy for the same key is there. */
export async function ensureLongRecordingSet(cacheDirectory: string, options: SetOptions, log: (line: string) => void): Promise<LongRecordingSet> {
  const key = createHash('sha256').update(JSON.stringify({ GENERATOR_VERSION, options })).digest('hex').slice(0, 12);
  const directory = join(cacheDirectory, `set-${key}`);
  const indexFile = join(directory, 'set.json');
  if (existsSync(indexFile)) return JSON.parse(readFileSync(indexFile, 'utf8')) as LongRecordingSet;
  const building = `${directory}.building`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(join(building, 'recordings'), { recursive: true });
  const started = performance.now();
  const plans = await planRecordings(options);
  const recordings: SetRecording[] = [];
  for (const [index, plan] of plans.entries()) {
    const { samples, pieces } = await renderRecording(plan, join(building, 'scratch.wav'));
    const name = `${plan.id}.wav`;
    writeWav(join(building, 'recordings', name), samples, SAMPLE_RATE);
    recordings.push({ id: plan.id, file: join(directory, 'recordings', name), seconds: samples.length / SAMPLE_RATE, pieces });
    log(`set: ${plan.id} ${(samples.length / SAMPLE_RATE).toFixed(1)} s, ${pieces.length} pieces (${index + 1}/${plans.length})`);
  }
  rmSync(join(building, 'scratch.wav'), { force: true });
  const set: LongRecordingSet = { key, directory, sampleRate: SAMPLE_RATE, recordings };
  writeFileSync(join(building, 'set.json'), `${JSON.stringify(set)}\n`);
  renameSync(building, directory);
  log(`set: built ${recordings.length} recordings in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return set;
}

interface RecordingPlan {
  readonly id: string;
  readonly seconds: number;
  readonly random: SeededRandom;
  /** Draws the next unused piece of a source, or undefined when its pool is spent. */
  readonly draw: (source: PieceSource) => PieceSpec | undefined;
  readonly weights: Record<PieceSource, number>;
}

/**
 * Every pool (prompts, music chunks, sounds, sentences) is shuffled once and shared by all
 * recordings, so a piece appears in one recording at most; each recording has its own mix of
 * sources and its own two voices.
 */
async function planRecordings(options: SetOptions): Promise<RecordingPlan[]> {
  const random = seededRandom(`${options.seed}/pools`);
  const files = listSourceFiles();
  const musicChunks: PieceSpec[] = [];
  for (const file of files.musicOnHold) {
    const total = await durationSeconds(file);
    for (let from = 0; from + 4 < total;) {
      const to = Math.min(total, from + random.uniform(6, 16));
      musicChunks.push({ source: 'music', file, from: round3(from), to: round3(to) });
      from = to;
    }
  }
  const pools: Record<Exclude<PieceSource, 'speech' | 'percussion'>, PieceSpec[]> = {
    'asterisk-en': random.shuffled(files.asteriskEnglish).map((file) => ({ source: 'asterisk-en', file })),
    'asterisk-fr': random.shuffled(files.asteriskFrench).map((file) => ({ source: 'asterisk-fr', file })),
    music: random.shuffled(musicChunks),
    sound: random.shuffled(files.sounds).map((file) => ({ source: 'sound', file })),
  };
  const sentences = random.shuffled(licenseSentences());
  const plans: RecordingPlan[] = [];
  const count = options.shortRecordings + options.longRecordings;
  for (let index = 0; index < count; index += 1) {
    const long = index >= options.shortRecordings;
    const id = long ? `long-${String(index - options.shortRecordings + 1).padStart(2, '0')}` : `rec-${String(index + 1).padStart(2, '0')}`;
    const own = seededRandom(`${options.seed}/${id}`);
    const seconds = long ? options.longSeconds : round3(own.uniform(options.shortSeconds[0], options.shortSeconds[1]));
    const voices: Voice[] = [0, 1].map(() => ({
      name: `${own.pick(LANGUAGES)}+${own.pick(VARIANTS)}`,
      pitch: own.integer(20, 81),
      wordsPerMinute: own.integer(130, 201),
    }));
    // A mix of its own: most sources are absent or rare in any one recording.
    const weights = Object.fromEntries(SOURCES.map((source) => [source, own.next() < 0.6 ? own.next() ** 2 : 0])) as Record<PieceSource, number>;
    weights.speech = Math.max(weights.speech, 0.05);
    let percussion = 0;
    plans.push({
      id,
      seconds,
      random: own,
      weights,
      draw(source) {
        if (source === 'speech') {
          const text = sentences.pop();
          return text === undefined ? undefined : { source, text, voice: own.pick(voices) };
        }
        if (source === 'percussion') return { source, seed: `${options.seed}/${id}/drums-${(percussion += 1)}`, seconds: round3(own.uniform(3, 9)) };
        return pools[source].pop();
      },
    });
  }
  return plans;
}

const REFERENCE_RMS = 10 ** (-20 / 20);

async function renderRecording(plan: RecordingPlan, scratchFile: string): Promise<{ samples: Float32Array; pieces: PlacedPiece[] }> {
  const { random } = plan;
  const total = Math.round(plan.seconds * SAMPLE_RATE);
  const out = new Float32Array(total);
  const pieces: PlacedPiece[] = [];
  let at = Math.round(random.uniform(0, 0.5) * SAMPLE_RATE);
  while (at < total) {
    const spec = drawPiece(plan);
    const raw = await renderPiece(spec, scratchFile);
    if (raw.length < SAMPLE_RATE * 0.2) continue;
    const gainDb = round3(random.uniform(-6, 6));
    const level = pieceGain(raw, gainDb);
    const length = Math.min(raw.length, total - at);
    for (let i = 0; i < length; i += 1) out[at + i] = raw[i]! * level;
    pieces.push({ source: spec.source, label: labelOf(spec), start: round3(at / SAMPLE_RATE), end: round3((at + length) / SAMPLE_RATE), gainDb });
    at += length;
    // The gap: digital silence or low white noise, 0.2-1.5 s (never a whole 2.5 s segment).
    const gap = Math.min(total - at, Math.round(random.uniform(0.2, 1.5) * SAMPLE_RATE));
    if (random.next() < 0.5) {
      const sigma = 10 ** (random.uniform(-60, -45) / 20);
      for (let i = 0; i < gap; i += 1) out[at + i] = sigma * random.normal();
    }
    at += gap;
  }
  return { samples: quantise16(out), pieces };
}

function drawPiece(plan: RecordingPlan): PieceSpec {
  const weights = SOURCES.map((source) => plan.weights[source]);
  for (;;) {
    const total = weights.reduce((sum, weight) => sum + weight, 0);
    let pick = plan.random.uniform(0, total);
    const index = weights.findIndex((weight) => (pick -= weight) < 0);
    const source = SOURCES[index === -1 ? SOURCES.length - 1 : index]!;
    const spec = plan.draw(source);
    if (spec) return spec;
    weights[SOURCES.indexOf(source)] = 0; // that pool is spent
    if (weights.every((weight) => weight === 0)) return plan.draw('percussion')!;
  }
}

async function renderPiece(spec: PieceSpec, scratchFile: string): Promise<Float32Array> {
  switch (spec.source) {
    case 'asterisk-en':
    case 'asterisk-fr':
    case 'sound':
      return decodeToSamples(spec.file);
    case 'music':
      return decodeToSamples(spec.file, { from: spec.from, to: spec.to });
    case 'speech':
      return speak(spec.text, spec.voice, scratchFile);
    case 'percussion':
      return percussionPattern(seededRandom(spec.seed), spec.seconds, SAMPLE_RATE);
  }
}

function labelOf(spec: PieceSpec): string {
  switch (spec.source) {
    case 'music':
      return `${spec.file.split('/').pop()}@${spec.from}-${spec.to}`;
    case 'speech':
      return `${spec.voice.name} p${spec.voice.pitch} s${spec.voice.wordsPerMinute}: ${spec.text.slice(0, 40)}`;
    case 'percussion':
      return spec.seed;
    default:
      return spec.file.split('/').slice(-2).join('/');
  }
}

/** The factor that brings the piece to -20 dBFS RMS plus `gainDb`, lowered if it would clip. */
function pieceGain(samples: Float32Array, gainDb: number): number {
  let power = 0;
  let peak = 0;
  for (const value of samples) {
    power += value * value;
    peak = Math.max(peak, Math.abs(value));
  }
  const rms = Math.sqrt(power / samples.length);
  if (rms === 0) return 0;
  const factor = (REFERENCE_RMS / rms) * 10 ** (gainDb / 20);
  return Math.min(factor, 0.99 / peak);
}

const round3 = (value: number) => Math.round(value * 1000) / 1000;
