import type { ModelCall } from './clip-embedding.ts';
import type { EmbeddingErrorCode } from './embedding-error.ts';
import type { ExecutionProvider } from './execution-provider.ts';
import type { ModelCardFile } from './model-card.ts';

/** What an inference thread is started with (workerData). */
export interface InferenceThreadData {
  readonly card: ModelCardFile;
  readonly modelPath: string;
  readonly executionProvider: ExecutionProvider;
  readonly intraOpThreads: number;
  /** Most windows in one model call. */
  readonly batchSize: number;
  /** The card's `sharedFrames` files, resolved (docs/shared-frames.md). */
  readonly sharedFramePaths?: { readonly frontEnd: string; readonly head: string };
}

/** Clips from several callers, embedded together. */
export interface EmbedBatchRequest {
  readonly type: 'embed-batch';
  readonly batchId: number;
  /** Their buffers are transferred, never copied. */
  readonly clips: readonly { readonly taskId: number; readonly samples: Float32Array }[];
}

/** Consecutive segments of one recording, embedded with the front end run once over them (shared-frames-run.ts). */
export interface EmbedRunRequest {
  readonly type: 'embed-run';
  readonly batchId: number;
  /** Transferred. */
  readonly samples: Float32Array;
  readonly starts: readonly number[];
  readonly segmentSamples: number;
}

/**
 * Finish the model call under way, skip the rest, release the sessions and exit. A thread
 * terminated in the middle of a call aborts the whole process (onnxruntime-node throws from
 * native code into an environment that is gone: "terminate called after throwing Napi::Error").
 */
export interface CloseRequest {
  readonly type: 'close';
}

export type ThreadRequest = EmbedBatchRequest | EmbedRunRequest | CloseRequest;

/** Errors cross the thread boundary as plain data; the pool rebuilds an EmbeddingError. */
export interface SerializedFailure {
  readonly code: EmbeddingErrorCode;
  readonly message: string;
  readonly cause?: unknown;
}

export type ClipResult = { readonly taskId: number; readonly vector: Float32Array } | { readonly taskId: number; readonly failure: SerializedFailure };

/** One segment of a run: its pooled vector or why it has none. */
export type SegmentResult = { readonly vector: Float32Array } | { readonly failure: SerializedFailure };

export type ThreadMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'start-failed'; readonly failure: SerializedFailure }
  | { readonly type: 'batch-done'; readonly batchId: number; readonly results: readonly ClipResult[]; readonly calls: readonly ModelCall[] }
  | { readonly type: 'run-done'; readonly batchId: number; readonly segments: readonly SegmentResult[]; readonly calls: readonly ModelCall[] };
