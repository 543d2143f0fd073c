import type { EmbeddingErrorCode } from './embedding-error.ts';
import type { ExecutionProvider } from './execution-provider.ts';
import type { ModelCardFile } from './model-card.ts';

/** What an inference thread is started with (workerData). */
export interface InferenceThreadData {
  readonly card: ModelCardFile;
  readonly modelPath: string;
  readonly executionProvider: ExecutionProvider;
  readonly intraOpThreads: number;
}

export interface EmbedRequest {
  readonly type: 'embed';
  readonly taskId: number;
  /** Its buffer is transferred, never copied. */
  readonly samples: Float32Array;
}

/** Errors cross the thread boundary as plain data; the pool rebuilds an EmbeddingError. */
export interface SerializedFailure {
  readonly code: EmbeddingErrorCode;
  readonly message: string;
  readonly cause?: unknown;
}

export type ThreadMessage =
  | { readonly type: 'ready' }
  | { readonly type: 'start-failed'; readonly failure: SerializedFailure }
  | { readonly type: 'embedded'; readonly taskId: number; readonly vector: Float32Array }
  | { readonly type: 'embed-failed'; readonly taskId: number; readonly failure: SerializedFailure };
