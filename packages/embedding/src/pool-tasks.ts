import type { ModelCall } from './clip-embedding.ts';
import type { EmbeddingError } from './embedding-error.ts';

export interface ClipTask {
  readonly kind: 'clip';
  readonly taskId: number;
  readonly samples: Float32Array;
  /** Windows the clip will be cut into: what it costs in a batch. */
  readonly windows: number;
  readonly queuedAt: number;
  resolve(vector: Float32Array): void;
  reject(error: EmbeddingError): void;
}

/** Segments of one recording that share the front end (shared-frames-run.ts); always a batch of its own. */
export interface RunTask {
  readonly kind: 'run';
  readonly taskId: number;
  readonly samples: Float32Array;
  readonly starts: readonly number[];
  readonly segmentSamples: number;
  /** One per segment, so a run weighs in the queue what its segments would. */
  readonly windows: number;
  readonly queuedAt: number;
  resolve(segments: (Float32Array | EmbeddingError)[]): void;
  reject(error: EmbeddingError): void;
}

export type Task = ClipTask | RunTask;

/** Counters of what the pool did, for metrics and for tests that batches really formed. */
export interface EmbedderStats {
  clips: number;
  modelCalls: number;
  windows: number;
  /** Model calls whose windows came from more than one clip: cross-job batching at work. */
  multiClipCalls: number;
  largestCallWindows: number;
  /** Runs of segments that shared one pass of the front end (docs/shared-frames.md). */
  sharedFrameRuns: number;
}

/** Adds what one answered batch did to `counters`. */
export function countBatch(counters: EmbedderStats, clips: number, calls: readonly ModelCall[]): void {
  counters.clips += clips;
  for (const call of calls) {
    counters.modelCalls += 1;
    counters.windows += call.windows;
    if (call.clips > 1) counters.multiClipCalls += 1;
    counters.largestCallWindows = Math.max(counters.largestCallWindows, call.windows);
  }
}
