// The errors module alone: inference threads import this file and need none of the rest of shared.
import { CodedError, type ErrorCode } from '@audio-index/shared/errors';

/** The codes of the shared list that embedding raises. Callers branch on `code`, never on the message. */
export type EmbeddingErrorCode = Extract<
  ErrorCode,
  | 'SILENT_AUDIO'
  | 'NOT_AUDIO'
  | 'EXECUTION_PROVIDER_UNAVAILABLE'
  | 'MODEL_CARD_INVALID'
  | 'MODEL_LOAD_FAILED'
  | 'INFERENCE_FAILED'
  | 'EMBEDDER_CLOSED'
  | 'MODEL_MISMATCH'
>;

/** A CodedError like AppError, so `errorCodeOf` and the API's status map know it without a code field check. */
export class EmbeddingError extends CodedError<EmbeddingErrorCode> {
  override readonly name = 'EmbeddingError';

  constructor(code: EmbeddingErrorCode, message: string, options: { cause?: unknown } = {}) {
    super(code, message, options);
  }
}

export function isEmbeddingError(value: unknown): value is EmbeddingError {
  return value instanceof EmbeddingError;
}
