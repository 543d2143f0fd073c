import type { ExcerptQuery } from './excerpt-queries.ts';
import type { LongRecordingSet, PieceSource } from './long-recording-set.ts';

/** A few lines on the set for RESULTS.md: sizes and how much of it each source makes up. */
export function describeSet(set: LongRecordingSet, queries: readonly ExcerptQuery[]): string {
  const short = set.recordings.filter((r) => !r.id.startsWith('long-'));
  const long = set.recordings.filter((r) => r.id.startsWith('long-'));
  const seconds = set.recordings.reduce((sum, r) => sum + r.seconds, 0);
  const bySource = new Map<PieceSource, { pieces: number; seconds: number }>();
  for (const piece of set.recordings.flatMap((r) => r.pieces)) {
    const entry = bySource.get(piece.source) ?? { pieces: 0, seconds: 0 };
    entry.pieces += 1;
    entry.seconds += piece.end - piece.start;
    bySource.set(piece.source, entry);
  }
  const range = (list: typeof short) => `${Math.min(...list.map((r) => r.seconds)).toFixed(0)}-${Math.max(...list.map((r) => r.seconds)).toFixed(0)} s`;
  const lengths = [...new Set(queries.map((q) => q.seconds))].sort((a, b) => a - b);
  return [
    `Set \`${set.key}\`: ${set.recordings.length} recordings, ${(seconds / 60).toFixed(1)} min of audio: ${short.length} of ${range(short)}` +
      (long.length ? ` and ${long.length} of ${range(long)}` : '') +
      '.',
    `Pieces by source: ${[...bySource].map(([source, { pieces, seconds: s }]) => `${source} ${pieces} (${(s / 60).toFixed(1)} min)`).join(', ')}; ` +
      `the rest is gaps (${((seconds - [...bySource.values()].reduce((sum, e) => sum + e.seconds, 0)) / 60).toFixed(1)} min).`,
    `Queries: ${lengths.map((length) => `${queries.filter((q) => q.seconds === length && q.variant === 'clean').length} excerpts of ${length} s`).join(', ')}, each in ${new Set(queries.map((q) => q.variant)).size} variants.`,
  ].join('\n');
}
