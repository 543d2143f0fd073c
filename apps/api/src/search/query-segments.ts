import type { Embedder } from '@audio-index/embedding';
import type { Manifest } from '@audio-index/shared';
import type { QuerySegments } from './aligned-score.ts';
import type { StoredRecording } from './stored-recording.ts';

/** A query vector on its own: one segment covering the whole query. */
export function singleSegmentQuery(vector: Float32Array): QuerySegments {
  return { vectors: vector, dim: vector.length, spans: [{ start: 0, end: null }] };
}

/** A stored item as the query: all its rows, with their times (docs/segments.md). */
export function storedRecordingQuery(recording: StoredRecording, dim: number): QuerySegments {
  return { vectors: recording.vectors(), dim, spans: recording.spans() };
}

/**
 * Audio as the query: cut with the snapshot's segmentation, so query and rows compare like
 * with like; a snapshot without one (older than segments) holds one averaged vector per
 * recording, so the query is one vector of the whole clip too.
 */
export async function embedAudioQuery(embedder: Embedder, samples: Float32Array, manifest: Manifest): Promise<QuerySegments> {
  if (!manifest.segmentation) return singleSegmentQuery(await embedder.embed(samples, { transfer: true }));
  const { vectors, segments } = await embedder.embedSegments(samples, manifest.segmentation);
  return { vectors, dim: embedder.dim, spans: segments };
}

/**
 * The width of an offset bin: the collection's hop, or, for rows imported with times into
 * a snapshot that records no segmentation, the median spacing of the query's own segments.
 */
export function hopOf(manifest: Manifest, query: QuerySegments): number {
  if (manifest.segmentation) return manifest.segmentation.hopSeconds;
  const gaps = query.spans
    .slice(1)
    .map((span, index) => Math.round((span.start - query.spans[index]!.start) * 1000) / 1000)
    .filter((gap) => gap > 0)
    .sort((a, b) => a - b);
  return gaps.length > 0 ? gaps[Math.floor(gaps.length / 2)]! : 1;
}
