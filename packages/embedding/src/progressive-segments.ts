import type { EmbeddingError } from './embedding-error.ts';
import type { ModelCardFile } from './model-card.ts';
import {
  asEmbeddingError,
  embedRecordingSegments,
  RUN_SEGMENTS,
  SEGMENTS_IN_FLIGHT,
  sharesFrames,
  type SegmentEmbeddings,
  type SegmentExecutor,
} from './segment-embedding.ts';
import type { SegmentSettings } from './segment-plan.ts';

/**
 * A recording's segments, embedded while it is still being decoded: each time enough samples
 * have arrived for a run of RUN_SEGMENTS segments (docs/shared-frames.md), the run goes to the
 * inference threads, so a long recording's decode and embedding overlap instead of following one
 * another. `finish` with the whole recording embeds what is left (the tail, the segment aligned
 * to the end) and gives what `embedSegments` would have: the runs sent early are exactly the
 * first segments of its plan. Without shared frames (or segments that cannot share them) nothing
 * starts early and `finish` does all the work.
 */
export class ProgressiveSegments {
  private readonly chunks: Float32Array[] = [];
  /** Sample index of the first sample in `chunks`. */
  private chunksStart = 0;
  private received = 0;
  private runsSent = 0;
  private runsInFlight = 0;
  private finished = false;
  private readonly sent: Promise<(Float32Array | EmbeddingError)[]>[] = [];
  private readonly segmentSamples: number;
  private readonly hopSamples: number;
  private readonly enabled: boolean;

  constructor(
    private readonly executor: SegmentExecutor,
    private readonly card: ModelCardFile,
    private readonly settings: SegmentSettings,
  ) {
    this.segmentSamples = Math.round(settings.segmentSeconds * card.sampleRate);
    this.hopSamples = Math.round(settings.hopSeconds * card.sampleRate);
    // Early runs must be the plan's own: every segment start on the frame grid.
    this.enabled = sharesFrames(card, settings) && this.hopSamples % card.sharedFrames!.hopSamples === 0;
  }

  /** Runs sent off from `add`, before `finish`. */
  get runsSentEarly(): number {
    return this.runsSent;
  }

  /** The next decoded samples, in order. */
  add(samples: Float32Array): void {
    if (!this.enabled || this.finished) return;
    this.chunks.push(samples);
    this.received += samples.length;
    this.sendReadyRuns();
  }

  /** The recording's segments, given all of its samples (which the chunks added so far begin). */
  async finish(samples: Float32Array): Promise<SegmentEmbeddings> {
    this.finished = true;
    this.chunks.length = 0;
    const count = this.runsSent * RUN_SEGMENTS;
    const results = Promise.all(this.sent).then((runs) => runs.flat());
    return embedRecordingSegments(this.executor, this.card, samples, this.settings, { count, results });
  }

  private sendReadyRuns(): void {
    // Runs in flight are bounded as embedRecordingSegments bounds its pieces, so a decode far ahead of the threads holds no extra copies.
    while (this.runsInFlight < SEGMENTS_IN_FLIGHT / RUN_SEGMENTS) {
      const firstSegment = this.runsSent * RUN_SEGMENTS;
      const from = firstSegment * this.hopSamples;
      const to = (firstSegment + RUN_SEGMENTS - 1) * this.hopSamples + this.segmentSamples;
      if (to > this.received) return;
      const samples = this.copy(from, to);
      const starts = Array.from({ length: RUN_SEGMENTS }, (_, index) => index * this.hopSamples);
      this.runsSent += 1;
      this.runsInFlight += 1;
      const run = this.executor
        .embedRun(samples, starts, this.segmentSamples)
        .catch((error: unknown) => starts.map(() => asEmbeddingError(error)))
        .finally(() => {
          this.runsInFlight -= 1;
          this.sendReadyRuns();
        });
      this.sent.push(run);
      this.dropBefore(this.runsSent * RUN_SEGMENTS * this.hopSamples);
    }
  }

  /** Samples [from, to) of the recording, copied out of the chunks. */
  private copy(from: number, to: number): Float32Array {
    const samples = new Float32Array(to - from);
    let chunkStart = this.chunksStart;
    for (const chunk of this.chunks) {
      const chunkEnd = chunkStart + chunk.length;
      if (chunkEnd > from && chunkStart < to) {
        const start = Math.max(from, chunkStart);
        samples.set(chunk.subarray(start - chunkStart, Math.min(to, chunkEnd) - chunkStart), start - from);
      }
      chunkStart = chunkEnd;
    }
    return samples;
  }

  /** Forgets chunks wholly before sample `sample`, which no run will need again. */
  private dropBefore(sample: number): void {
    while (this.chunks.length > 0 && this.chunksStart + this.chunks[0]!.length <= sample) this.chunksStart += this.chunks.shift()!.length;
  }
}
