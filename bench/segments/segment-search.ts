import type { SegmentSettings, SegmentSpan } from '@audio-index/embedding';

/**
 * Exact search by recording over segment rows, as docs/segments.md describes it, in plain
 * TypeScript: the offline reference the sweep scores segment settings with (the API's engine
 * gives the same dot products through Faiss).
 */
export interface IndexedRecording {
  readonly id: string;
  readonly seconds: number;
  readonly segments: readonly SegmentSpan[];
  /** `segments.length` unit rows of `dim`. */
  readonly vectors: Float32Array;
}

export interface RecordingMatch {
  readonly id: string;
  readonly score: number;
  readonly match: SegmentSpan;
}

export interface VotingOptions {
  /** Segment hits per query segment that vote on an offset. */
  readonly hitsPerSegment: number;
  /** A recording's heaviest offset bins that are scored exactly. */
  readonly offsetsPerRecording: number;
  /** Recordings (by their heaviest bin) that are scored exactly. */
  readonly recordingsScored: number;
}

/**
 * As the API answers k = 10 (apps/api/src/search/recording-search.ts when this was written):
 * k x 4 + 16 rows per query segment, 3 offsets per recording, the 2k + 8 recordings with the
 * heaviest bins scored exactly.
 */
export const DEFAULT_VOTING: VotingOptions = { hitsPerSegment: 56, offsetsPerRecording: 3, recordingsScored: 28 };

export class SegmentIndex {
  readonly rows: number;
  private readonly vectors: Float32Array;
  private readonly rowRecording: Int32Array;
  private readonly firstRow: Int32Array;

  constructor(
    readonly dim: number,
    readonly recordings: readonly IndexedRecording[],
  ) {
    this.rows = recordings.reduce((sum, recording) => sum + recording.segments.length, 0);
    this.vectors = new Float32Array(this.rows * dim);
    this.rowRecording = new Int32Array(this.rows);
    this.firstRow = new Int32Array(recordings.length);
    let row = 0;
    recordings.forEach((recording, index) => {
      this.firstRow[index] = row;
      this.vectors.set(recording.vectors, row * dim);
      this.rowRecording.fill(index, row, row + recording.segments.length);
      row += recording.segments.length;
    });
  }

  /** Cosine of one query row with every indexed row. */
  private scoresOf(query: Float32Array, offset: number): Float32Array {
    const { dim, vectors } = this;
    const scores = new Float32Array(this.rows);
    for (let row = 0; row < this.rows; row += 1) {
      let dot = 0;
      const base = row * dim;
      for (let c = 0; c < dim; c += 1) dot += vectors[base + c]! * query[offset + c]!;
      scores[row] = dot;
    }
    return scores;
  }

  /**
   * Recordings best first. One query segment: each recording's best segment, whose span is
   * the match. Several: every one of each query segment's top hits votes for (recording,
   * round((t - q) / hop)); the most-voted offsets are scored as the mean over query segments
   * of the cosine with the recording's segment nearest to q + offset, and the match is the
   * query's span moved by the best offset, clamped to the recording.
   */
  search(
    query: { vectors: Float32Array; segments: readonly SegmentSpan[] },
    settings: SegmentSettings,
    k: number,
    voting: VotingOptions = DEFAULT_VOTING,
  ): RecordingMatch[] {
    const count = query.segments.length;
    const scores = query.segments.map((_, j) => this.scoresOf(query.vectors, j * this.dim));
    if (count === 1) return this.bestSegmentPerRecording(scores[0]!, k);
    // A vote weighs its cosine (negative: nothing); a query segment votes for a (recording, bin) once.
    const bins = new Map<number, Map<number, number>>();
    for (const [j, segment] of query.segments.entries()) {
      const strongest = new Map<string, number>();
      for (const row of topRows(scores[j]!, voting.hitsPerSegment)) {
        const recording = this.rowRecording[row]!;
        const start = this.recordings[recording]!.segments[row - this.firstRow[recording]!]!.start;
        const bin = Math.round((start - segment.start) / settings.hopSeconds);
        const key = `${recording}:${bin}`;
        const weight = Math.max(0, scores[j]![row]!);
        const before = strongest.get(key) ?? 0;
        if (strongest.has(key) && before >= weight) continue;
        strongest.set(key, weight);
        const weights = bins.get(recording) ?? new Map<number, number>();
        weights.set(bin, (weights.get(bin) ?? 0) + weight - before);
        bins.set(recording, weights);
      }
    }
    const candidates = [...bins]
      .map(([recording, weights]) => {
        const ranked = [...weights].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, voting.offsetsPerRecording);
        return { recording, weight: ranked[0]![1], bins: ranked.map(([bin]) => bin) };
      })
      .sort((a, b) => b.weight - a.weight)
      .slice(0, voting.recordingsScored)
      .flatMap(({ recording, bins: offsets }) => offsets.map((bin) => ({ recording, bin })));
    const best = new Map<number, RecordingMatch>();
    const queryStart = query.segments[0]!.start;
    const queryEnd = query.segments.at(-1)!.end;
    for (const { recording, bin } of candidates) {
      const offset = bin * settings.hopSeconds;
      const indexed = this.recordings[recording]!;
      let total = 0;
      for (const [j, segment] of query.segments.entries()) {
        const row = this.firstRow[recording]! + nearestSegment(indexed.segments, segment.start + offset);
        total += scores[j]![row]!;
      }
      const score = total / count;
      const previous = best.get(recording);
      if (previous && previous.score >= score) continue;
      const start = clamp(queryStart + offset, 0, indexed.seconds);
      const end = clamp(queryEnd + offset, start, indexed.seconds);
      best.set(recording, { id: indexed.id, score, match: { start: round3(start), end: round3(end) } });
    }
    return [...best.values()].sort((a, b) => b.score - a.score).slice(0, k);
  }

  private bestSegmentPerRecording(scores: Float32Array, k: number): RecordingMatch[] {
    const bestRow = new Int32Array(this.recordings.length).fill(-1);
    for (let row = 0; row < this.rows; row += 1) {
      const recording = this.rowRecording[row]!;
      const current = bestRow[recording]!;
      if (current < 0 || scores[row]! > scores[current]!) bestRow[recording] = row;
    }
    return [...bestRow]
      .map((row, recording) => {
        const indexed = this.recordings[recording]!;
        return { id: indexed.id, score: scores[row]!, match: indexed.segments[row - this.firstRow[recording]!]! };
      })
      .sort((a, b) => b.score - a.score)
      .slice(0, k);
  }
}

/** Rows of the `n` highest scores (order not needed: each only votes once). */
function topRows(scores: Float32Array, n: number): number[] {
  if (n >= scores.length) return Array.from(scores.keys());
  // A threshold from a sorted copy: simple, and fast enough for tens of thousands of rows.
  const threshold = Float32Array.from(scores).sort()[scores.length - n]!;
  const rows: number[] = [];
  for (let row = 0; row < scores.length && rows.length < n; row += 1) if (scores[row]! >= threshold) rows.push(row);
  return rows;
}

/** Index of the segment whose start is nearest to `time` (segments in time order). */
function nearestSegment(segments: readonly SegmentSpan[], time: number): number {
  let low = 0;
  let high = segments.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (segments[middle]!.start < time) low = middle + 1;
    else high = middle;
  }
  if (low > 0 && Math.abs(segments[low - 1]!.start - time) <= Math.abs(segments[low]!.start - time)) return low - 1;
  return low;
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));
const round3 = (value: number) => Math.round(value * 1000) / 1000;
