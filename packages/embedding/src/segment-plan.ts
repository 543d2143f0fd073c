/** One stretch `[start, end)` of a recording, in seconds (docs/segments.md). */
export interface SegmentSpan {
  readonly start: number;
  readonly end: number;
}

export interface SegmentSettings {
  readonly segmentSeconds: number;
  readonly hopSeconds: number;
}

/** Milliseconds: finer than any hop, and keeps `ids.jsonl` free of float noise like 2.4999999. */
const roundTime = (seconds: number) => Math.round(seconds * 1000) / 1000;

/**
 * Where to cut a recording of `sampleCount` samples at `sampleRate` into segments. A
 * recording no longer than one segment is one segment. A longer one gets a segment every
 * hop, and when the last of those stops short of the end, one more aligned to the end: every
 * segment of a long recording has the same length (a query segment compares like with like)
 * and no tail is left unsearchable.
 */
export function planSegments(sampleCount: number, sampleRate: number, settings: SegmentSettings): SegmentSpan[] {
  const { segmentSeconds, hopSeconds } = settings;
  if (!(segmentSeconds > 0 && hopSeconds > 0 && hopSeconds <= segmentSeconds)) {
    throw new RangeError(`segments need 0 < hopSeconds <= segmentSeconds, got ${hopSeconds} and ${segmentSeconds}`);
  }
  const segmentSamples = Math.round(segmentSeconds * sampleRate);
  const hopSamples = Math.max(1, Math.round(hopSeconds * sampleRate));
  const span = (startSample: number, endSample: number): SegmentSpan => ({
    start: roundTime(startSample / sampleRate),
    end: roundTime(endSample / sampleRate),
  });
  if (sampleCount <= segmentSamples) return [span(0, sampleCount)];
  const spans: SegmentSpan[] = [];
  let start = 0;
  for (; start + segmentSamples <= sampleCount; start += hopSamples) spans.push(span(start, start + segmentSamples));
  if (start - hopSamples + segmentSamples < sampleCount) spans.push(span(sampleCount - segmentSamples, sampleCount));
  return spans;
}

/** The sample range of a planned segment (inverse of the rounding in `planSegments`). */
export function segmentSampleRange(segment: SegmentSpan, sampleRate: number, sampleCount: number): [number, number] {
  const first = Math.min(sampleCount, Math.max(0, Math.round(segment.start * sampleRate)));
  const last = Math.min(sampleCount, Math.max(first, Math.round(segment.end * sampleRate)));
  return [first, last];
}
