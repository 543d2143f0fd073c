import type { SegmentHit } from './loaded-snapshot.ts';

/** Distinct recordings among the hits of every query segment. */
export function countRecordings(lists: readonly (readonly SegmentHit[])[]): number {
  const ids = new Set<string>();
  for (const hits of lists) for (const hit of hits) ids.add(hit.id);
  return ids.size;
}

/**
 * The best hit of each recording, best first, at most `k`: `hits` come best first, so a
 * recording's first hit is its best segment (a one-segment query scores a recording by it).
 */
export function bestHitPerRecording(hits: readonly SegmentHit[], k: number): SegmentHit[] {
  const seen = new Set<string>();
  const best: SegmentHit[] = [];
  for (const hit of hits) {
    if (best.length >= k) break;
    if (seen.has(hit.id)) continue;
    seen.add(hit.id);
    best.push(hit);
  }
  return best;
}

/**
 * The `k` best rows over every query segment's hits, each row once at its best score. Ties
 * go by position in the snapshot's row space, as the engine's own merge does, so the answer
 * does not depend on the order of the query segments.
 */
export function bestRows(lists: readonly (readonly SegmentHit[])[], k: number): SegmentHit[] {
  const byRow = new Map<string, SegmentHit>();
  for (const hits of lists) {
    for (const hit of hits) {
      const key = `${hit.part}:${hit.row}`;
      const known = byRow.get(key);
      if (!known || hit.score > known.score) byRow.set(key, hit);
    }
  }
  return [...byRow.values()].sort((a, b) => b.score - a.score || a.part - b.part || a.row - b.row).slice(0, k);
}
