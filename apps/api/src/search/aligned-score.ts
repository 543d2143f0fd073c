import type { RecordingSegments } from './stored-recording.ts';

/** A query cut into segments: `spans.length` unit vectors of `dim`, row-major, in time order. */
export interface QuerySegments {
  vectors: Float32Array;
  dim: number;
  spans: readonly { start: number; end: number | null }[];
}

/** One recording segment scored against the query. */
export interface ScoredSegment {
  /** Index among the recording's segments. */
  segment: number;
  score: number;
}

/** Index of the recording's segment whose start is nearest `time` (segments are in time order). */
export function nearestSegment(recording: RecordingSegments, time: number): number {
  let low = 0;
  let high = recording.count - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (recording.startAt(middle) < time) low = middle + 1;
    else high = middle;
  }
  // `low` is the first segment starting at or after `time` (or the last one); the one before may be nearer.
  if (low > 0 && time - recording.startAt(low - 1) <= recording.startAt(low) - time) return low - 1;
  return low;
}

/**
 * The exact score of the query placed at `offsetSeconds` in the recording: the mean, over
 * query segments, of the cosine with the recording's segment nearest q + offset
 * (docs/segments.md). A query segment that falls outside the recording still counts, with
 * the edge segment: a query that only partly overlaps scores lower than one that fits.
 */
export function scoreAlignment(recording: RecordingSegments, query: QuerySegments, offsetSeconds: number): { score: number; pairs: ScoredSegment[] } {
  const pairs: ScoredSegment[] = [];
  let sum = 0;
  query.spans.forEach((span, index) => {
    const segment = nearestSegment(recording, span.start + offsetSeconds);
    const score = recording.dot(segment, query.vectors, index * query.dim);
    pairs.push({ segment, score });
    sum += score;
  });
  return { score: sum / query.spans.length, pairs };
}

/** The `n` best of scored segments, each segment once (at its best), best first. */
export function bestSegments(scored: readonly ScoredSegment[], n: number): ScoredSegment[] {
  const best = new Map<number, number>();
  for (const { segment, score } of scored) if (score > (best.get(segment) ?? Number.NEGATIVE_INFINITY)) best.set(segment, score);
  return [...best]
    .map(([segment, score]) => ({ segment, score }))
    .sort((a, b) => b.score - a.score || a.segment - b.segment)
    .slice(0, n);
}

/** Every segment of the recording scored against one query vector (a one-segment query's `segments: n`). */
export function scoreEverySegment(recording: RecordingSegments, query: Float32Array): ScoredSegment[] {
  return Array.from({ length: recording.count }, (_, segment) => ({ segment, score: recording.dot(segment, query, 0) }));
}

/**
 * Where the query matched: its span moved by the offset, clamped to the recording
 * (`duration` null: a row without times, whose length the index does not know).
 */
export function matchSpan(queryStart: number, queryEnd: number, offsetSeconds: number, duration: number | null): { start: number; end: number | null } {
  const round = (seconds: number) => Math.round(seconds * 1000) / 1000;
  const upper = duration ?? Number.POSITIVE_INFINITY;
  const start = Math.min(Math.max(0, queryStart + offsetSeconds), upper);
  const end = Math.min(Math.max(start, queryEnd + offsetSeconds), upper);
  return { start: round(start), end: round(end) };
}
