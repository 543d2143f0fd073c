import type { ErrorCode } from '@audio-index/shared';

/** The one place error codes become HTTP statuses. */
const statusByCode: Partial<Record<ErrorCode, number>> = {
  VALIDATION_FAILED: 400,
  DUPLICATE_ITEM_ID: 400,
  INVALID_URL: 400,
  UNSUPPORTED_SCHEME: 400,
  BAD_VECTOR: 400,
  UNAUTHORIZED: 401,
  NOT_FOUND: 404,
  COLLECTION_NOT_FOUND: 404,
  BATCH_NOT_FOUND: 404,
  ITEM_NOT_FOUND: 404,
  SNAPSHOT_NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  RATE_LIMITED: 429,
  SNAPSHOT_NOT_READY: 409,
  FETCH_NOT_FOUND: 422,
  FETCH_FORBIDDEN_ADDRESS: 422,
  FETCH_TOO_MANY_REDIRECTS: 422,
  TOO_LARGE: 413,
  TOO_LONG: 422,
  NOT_AUDIO: 422,
  SILENT_AUDIO: 422,
  MODEL_MISMATCH: 409,
  FETCH_FAILED: 502,
  NOT_READY: 503,
  BACKLOG_FULL: 503,
  STORE_UNAVAILABLE: 503,
};

export function httpStatusOf(code: string): number {
  return statusByCode[code as ErrorCode] ?? 500;
}
