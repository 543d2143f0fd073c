/**
 * Stable codes for what can go wrong while embedding. Callers branch on `code`, never on
 * the message. SILENT_AUDIO, NOT_AUDIO and EXECUTION_PROVIDER_UNAVAILABLE match the shared
 * ErrorCodes of the same name; the rest are specific to this package.
 */
export type EmbeddingErrorCode =
  | 'SILENT_AUDIO'
  | 'NOT_AUDIO'
  | 'EXECUTION_PROVIDER_UNAVAILABLE'
  | 'MODEL_CARD_INVALID'
  | 'MODEL_LOAD_FAILED'
  | 'INFERENCE_FAILED'
  | 'EMBEDDER_CLOSED'
  | 'MODEL_MISMATCH';

export class EmbeddingError extends Error {
  override readonly name = 'EmbeddingError';
  readonly code: EmbeddingErrorCode;

  constructor(code: EmbeddingErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
  }
}

export function isEmbeddingError(value: unknown): value is EmbeddingError {
  return value instanceof EmbeddingError;
}
