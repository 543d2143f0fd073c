import type { SegmentHit } from './loaded-snapshot.ts';

/** A recording that the votes point at, with the offsets worth scoring exactly. */
export interface OffsetCandidate {
  id: string;
  /** A hit of the recording (where its rows are). */
  hit: SegmentHit;
  /** Weight of its best offset bin. */
  weight: number;
  /** Offsets in seconds (bin x hop), heaviest bin first. */
  offsets: number[];
}

/**
 * Offset voting, as audio fingerprinting does with hash matches (docs/segments.md): query
 * segment j (at `queryStarts[j]`) hitting a recording's segment at t votes for the
 * recording at offset bin round((t - q) / hop). A query that occurs in a recording puts
 * most of its votes in one or two neighbouring bins (two when the excerpt does not start on
 * a hop boundary), while chance hits scatter. A vote weighs its cosine (negative ones
 * nothing), so a bin of strong matches beats one of many weak ones; a query segment votes
 * for a (recording, bin) once, at its best hit there.
 *
 * Returns the recordings by their heaviest bin, each with its `offsetsPerRecording`
 * heaviest bins, ties by id and bin so answers are reproducible.
 */
export function voteOffsets(
  lists: readonly (readonly SegmentHit[])[],
  queryStarts: readonly number[],
  hopSeconds: number,
  offsetsPerRecording: number,
): OffsetCandidate[] {
  const bins = new Map<string, { hit: SegmentHit; weights: Map<number, number> }>();
  lists.forEach((hits, query) => {
    const strongest = new Map<string, number>();
    for (const hit of hits) {
      const bin = Math.round(((hit.start ?? 0) - queryStarts[query]!) / hopSeconds);
      const key = `${bin}\u0000${hit.id}`;
      const weight = Math.max(0, hit.score);
      if ((strongest.get(key) ?? -1) >= weight) continue;
      const before = strongest.get(key) ?? 0;
      strongest.set(key, weight);
      let recording = bins.get(hit.id);
      if (!recording) {
        recording = { hit, weights: new Map() };
        bins.set(hit.id, recording);
      }
      recording.weights.set(bin, (recording.weights.get(bin) ?? 0) + weight - before);
    }
  });
  const candidates: OffsetCandidate[] = [];
  for (const [id, { hit, weights }] of bins) {
    const ranked = [...weights].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, offsetsPerRecording);
    candidates.push({ id, hit, weight: ranked[0]![1], offsets: ranked.map(([bin]) => Math.round(bin * hopSeconds * 1000) / 1000) });
  }
  return candidates.sort((a, b) => b.weight - a.weight || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
