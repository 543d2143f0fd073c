import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import type { Embedder, SegmentSpan } from '@audio-index/embedding';
import type { AlterationContext } from './alterations.ts';
import type { Recording } from './corpus.ts';
import { cosineScores, stackVectors } from './metrics.ts';
import { bestCorrelationBetween, RECURRENCE_CORRELATION } from './recurrence.ts';

/**
 * The excerpt case: what a segment of a long recording sees. Each long recording is indexed
 * as its own 5-second segments (hop 2.5 s: every 5-second stretch then overlaps some segment
 * by at least half); a query is a 5-second excerpt at a seeded random offset, which does not
 * line up with the segments. bench/segments measures the whole system on long recordings
 * built from these sources; this case measures only the model, with the baseline beside it.
 */
export const EXCERPT_SECONDS = 5;
export const EXCERPT_SEGMENTS = { segmentSeconds: 5, hopSeconds: 2.5 } as const;
/**
 * Recordings at least this long join the excerpt case (run.ts, recurrence-study.ts) and the
 * fitting's segment estimate (training-set.ts, segment-estimate.ts).
 */
export const LONG_RECORDING_SECONDS = 10;
/** One excerpt per this many seconds of each recording (at least one). */
const SECONDS_PER_EXCERPT = 20;

export interface Excerpt {
  readonly recording: number;
  readonly start: number;
  readonly name: string;
}

/** Seeded offsets, so every run (and both models) sees the same excerpts. */
export function planExcerpts(recordings: readonly Recording[], durations: readonly number[]): Excerpt[] {
  return recordings.flatMap((recording, index) => {
    const duration = durations[index]!;
    const count = Math.max(1, Math.floor(duration / SECONDS_PER_EXCERPT));
    return Array.from({ length: count }, (_, n) => {
      const unit = createHash('sha256').update(`${recording.name}/${n}`).digest().readUInt32LE(0) / 2 ** 32;
      const start = Math.round(unit * (duration - EXCERPT_SECONDS) * 1000) / 1000;
      return { recording: index, start, name: `${recording.name}@${start.toFixed(1)}` };
    });
  });
}

/** Writes the excerpt as a float WAV, so file-based alterations (MP3, ffmpeg filters) start from it. */
export function excerptContext(samples: Float32Array, sampleRate: number, excerpt: Excerpt, outputStem: string, alteration: string): AlterationContext {
  const from = Math.round(excerpt.start * sampleRate);
  const clip = samples.slice(from, from + EXCERPT_SECONDS * sampleRate);
  const file = `${outputStem}.wav`;
  writeFileSync(file, floatWav(clip, sampleRate));
  return { source: file, samples: clip, sampleRate, outputStem, seedText: `${alteration}/${excerpt.name}` };
}

export interface SegmentIndex {
  readonly owner: number[];
  readonly spans: SegmentSpan[];
  readonly matrix: ReturnType<typeof stackVectors>;
}

export async function indexSegments(embedder: Embedder, recordings: readonly Float32Array[]): Promise<SegmentIndex> {
  const owner: number[] = [];
  const spans: SegmentSpan[] = [];
  const vectors: Float32Array[] = [];
  for (const [index, samples] of recordings.entries()) {
    const { segments, vectors: rows } = await embedder.embedSegments(samples, EXCERPT_SEGMENTS);
    segments.forEach((span, row) => {
      owner.push(index);
      spans.push(span);
      vectors.push(rows.subarray(row * embedder.dim, (row + 1) * embedder.dim));
    });
  }
  return { owner, spans, matrix: stackVectors(vectors) };
}

export interface ExcerptOutcome {
  /** The best segment is one of the excerpt's own recording. */
  readonly recordingFound: boolean;
  /** ...and overlaps the excerpt by at least half of it (where in the recording). */
  readonly placeFound: boolean;
  /** ...or overlaps by half a stretch where the excerpt's own audio recurs (recurrence.ts). */
  readonly placeOrRepeatFound: boolean;
}

/** Whether segment `row` overlaps by at least half some stretch where excerpt `e`'s audio recurs. */
export type RepeatCheck = (e: number, row: number) => boolean;

/**
 * Memoised, since both models and every alteration ask about the same few segments. The
 * excerpt's unaltered samples are correlated with the starts p whose 5-second stretch a
 * segment [start, end) overlaps by half: p in [start - 2.5 s, end - 2.5 s].
 */
export function repeatChecker(recordings: readonly Float32Array[], sampleRate: number, excerpts: readonly Excerpt[], index: SegmentIndex): RepeatCheck {
  const known = new Map<string, boolean>();
  return (e, row) => {
    const key = `${e}/${row}`;
    const cached = known.get(key);
    if (cached !== undefined) return cached;
    const excerpt = excerpts[e]!;
    const samples = recordings[excerpt.recording]!;
    const from = Math.round(excerpt.start * sampleRate);
    const own = samples.subarray(from, from + EXCERPT_SECONDS * sampleRate);
    const span = index.spans[row]!;
    const half = (EXCERPT_SECONDS / 2) * sampleRate;
    const recurs =
      index.owner[row] === excerpt.recording &&
      bestCorrelationBetween(samples, own, span.start * sampleRate - half, span.end * sampleRate - half) >= RECURRENCE_CORRELATION;
    known.set(key, recurs);
    return recurs;
  };
}

export function excerptOutcome(index: SegmentIndex, query: Float32Array, excerpt: Excerpt, recursAt?: (row: number) => boolean): ExcerptOutcome {
  const scores = cosineScores(index.matrix, query);
  let best = 0;
  scores.forEach((score, row) => {
    if (score > scores[best]!) best = row;
  });
  const span = index.spans[best]!;
  const overlap = Math.min(span.end, excerpt.start + EXCERPT_SECONDS) - Math.max(span.start, excerpt.start);
  const recordingFound = index.owner[best] === excerpt.recording;
  const placeFound = recordingFound && overlap >= EXCERPT_SECONDS / 2;
  return { recordingFound, placeFound, placeOrRepeatFound: placeFound || (recordingFound && (recursAt?.(best) ?? false)) };
}

export function floatWav(samples: Float32Array, sampleRate: number): Buffer {
  const header = Buffer.alloc(44);
  const bytes = samples.length * 4;
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + bytes, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(3, 20); // IEEE float
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(32, 34);
  header.write('data', 36);
  header.writeUInt32LE(bytes, 40);
  return Buffer.concat([header, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)]);
}
