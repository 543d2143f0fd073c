import { bestSegments, matchSpan, scoreAlignment, scoreEverySegment, type QuerySegments, type ScoredSegment } from './aligned-score.ts';
import { bestHitPerRecording, bestRows, countRecordings } from './hit-grouping.ts';
import type { LoadedSnapshot, SegmentHit } from './loaded-snapshot.ts';
import { voteOffsets } from './offset-voting.ts';
import type { StoredRecording } from './stored-recording.ts';

export type GroupBy = 'recording' | 'segment';

export interface SegmentResult {
  id: string;
  url: string | undefined;
  metadata: Record<string, unknown> | undefined;
  score: number;
  start: number;
  end: number | null;
}

export interface RecordingResult {
  id: string;
  url: string | undefined;
  metadata: Record<string, unknown> | undefined;
  score: number;
  match: { start: number; end: number | null };
  /** The recording's length as indexed (its last segment's end); null without times. */
  duration: number | null;
  segments?: { start: number; end: number | null; score: number }[];
}

export interface RecordingSearchOptions {
  k: number;
  groupBy: GroupBy;
  /** List each recording result's n best segments. */
  segments?: number | undefined;
  /** The hop of the query's segments (offset bins are this wide). */
  hopSeconds: number;
}

/** Offsets of a recording scored exactly: the two bins an off-grid excerpt splits into, and one more. */
const OFFSETS_PER_RECORDING = 3;
/**
 * Engine slots (query segments x rows asked for) per search call: 4M slots are 48 MB of
 * answer. Past it a long query votes with an evenly spread subset of its segments (the
 * subset keeps their spacing, so the votes still agree); exact scoring uses all of them.
 */
const MAX_SLOTS = 1 << 22;
/** Query segments that vote, at most: a 10-minute query at a 2.5 s hop has 240. */
const MAX_VOTING_SEGMENTS = 256;
/** How much each search round asks for beyond the last one. */
const GROWTH = 4;

/**
 * Search by recording (docs/segments.md). The engine answers rows; a recording has many, so
 * the rows asked for (K') grow until k distinct recordings came back or every visible row
 * has: tombstones and long recordings never shorten the answer while enough rows remain.
 */
export async function searchRecordings(
  snapshot: LoadedSnapshot,
  query: QuerySegments,
  options: RecordingSearchOptions,
): Promise<(RecordingResult | SegmentResult)[]> {
  const { k } = options;
  if (snapshot.visibleRows === 0) return [];
  if (options.groupBy === 'segment') {
    // Each query segment's top k are k distinct rows, so their union never falls short of k.
    const lists = await snapshot.searchMany(query.vectors, Math.min(k, snapshot.visibleRows));
    return bestRows(lists, k).map(segmentResult);
  }
  if (query.spans.length === 1) return oneSegmentQuery(snapshot, query, options);
  return alignedQuery(snapshot, query, options);
}

async function oneSegmentQuery(snapshot: LoadedSnapshot, query: QuerySegments, options: RecordingSearchOptions): Promise<RecordingResult[]> {
  const { k } = options;
  const hits = await gatherHits(snapshot, query.vectors, k);
  return bestHitPerRecording(hits, k).map((hit) => {
    const recording = snapshot.recordingOfRow(hit.part, hit.row);
    const result = recordingResult(recording, hit.score, spanOf(hit));
    if (options.segments !== undefined) result.segments = listSegments(recording, bestSegments(scoreEverySegment(recording, query.vectors), options.segments));
    return result;
  });
}

async function alignedQuery(snapshot: LoadedSnapshot, query: QuerySegments, options: RecordingSearchOptions): Promise<RecordingResult[]> {
  const { k } = options;
  const segmentCount = query.spans.length;
  let voters = votingSubset(segmentCount, MAX_VOTING_SEGMENTS);
  let rowsAsked = initialRowsAsked(snapshot, k);
  let lists: SegmentHit[][];
  for (;;) {
    lists = await snapshot.searchMany(voterVectors(query, voters), rowsAsked);
    if (countRecordings(lists) >= k || rowsAsked >= snapshot.visibleRows) break;
    rowsAsked = Math.min(snapshot.visibleRows, rowsAsked * GROWTH);
    if (voters.length * rowsAsked > MAX_SLOTS) voters = votingSubset(segmentCount, Math.max(1, Math.floor(MAX_SLOTS / rowsAsked)));
  }
  const candidates = voteOffsets(
    lists,
    voters.map((index) => query.spans[index]!.start),
    options.hopSeconds,
    OFFSETS_PER_RECORDING,
  ).slice(0, 2 * k + 8); // the votes rank recordings; only the front is worth exact scoring
  const queryStart = query.spans[0]!.start;
  const last = query.spans[segmentCount - 1]!;
  const queryEnd = last.end ?? last.start;
  const scored = candidates.map((candidate) => {
    const recording = snapshot.recordingOfRow(candidate.hit.part, candidate.hit.row);
    let best: { offset: number; score: number; pairs: ScoredSegment[] } | undefined;
    for (const offset of candidate.offsets) {
      const alignment = scoreAlignment(recording, query, offset);
      if (!best || alignment.score > best.score) best = { offset, ...alignment };
    }
    const span = recording.timed ? matchSpan(queryStart, queryEnd, best!.offset, recording.duration) : { start: 0, end: null };
    const result = recordingResult(recording, best!.score, span);
    if (options.segments !== undefined) result.segments = listSegments(recording, bestSegments(best!.pairs, options.segments));
    return result;
  });
  return scored.sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, k);
}

/**
 * The rows of a one-segment query, asked for until they hold k recordings or are every
 * visible row (the worst case, a few recordings owning nearly all rows, is the same full
 * answer as a k above the collection's size).
 */
async function gatherHits(snapshot: LoadedSnapshot, vector: Float32Array, k: number): Promise<SegmentHit[]> {
  let rowsAsked = initialRowsAsked(snapshot, k);
  for (;;) {
    const lists = await snapshot.searchMany(vector, rowsAsked);
    if (countRecordings(lists) >= k || rowsAsked >= snapshot.visibleRows) return lists[0]!;
    rowsAsked = Math.min(snapshot.visibleRows, rowsAsked * GROWTH);
  }
}

/**
 * First round: a few rows per wanted recording, since neighbouring segments of one recording
 * tend to rank together; one row per recording (old snapshots) then needs a single round.
 */
function initialRowsAsked(snapshot: LoadedSnapshot, k: number): number {
  const rowsPerRecording = snapshot.recordings > 0 ? snapshot.visibleRows / snapshot.recordings : 1;
  const perRecording = rowsPerRecording <= 1 ? 1 : 4;
  return Math.min(snapshot.visibleRows, k * perRecording + 16);
}

/** `count` indices evenly spread over [0, total), first and last included. */
export function votingSubset(total: number, count: number): number[] {
  if (count >= total) return Array.from({ length: total }, (_, index) => index);
  if (count === 1) return [0];
  return Array.from({ length: count }, (_, index) => Math.round((index * (total - 1)) / (count - 1)));
}

function voterVectors(query: QuerySegments, voters: readonly number[]): Float32Array {
  if (voters.length === query.spans.length) return query.vectors;
  const vectors = new Float32Array(voters.length * query.dim);
  voters.forEach((index, slot) => vectors.set(query.vectors.subarray(index * query.dim, (index + 1) * query.dim), slot * query.dim));
  return vectors;
}

function spanOf(hit: SegmentHit): { start: number; end: number | null } {
  return { start: hit.start ?? 0, end: hit.end ?? null };
}

function segmentResult(hit: SegmentHit): SegmentResult {
  return { id: hit.id, url: hit.url, metadata: hit.metadata, score: hit.score, ...spanOf(hit) };
}

function recordingResult(recording: StoredRecording, score: number, match: { start: number; end: number | null }): RecordingResult {
  return { id: recording.id, url: recording.url, metadata: recording.metadata, score, match, duration: recording.duration };
}

function listSegments(recording: StoredRecording, scored: readonly ScoredSegment[]) {
  return scored.map(({ segment, score }) => ({ start: recording.startAt(segment), end: recording.endAt(segment), score }));
}
