import type { ErrorCode } from '@audio-index/shared';

/**
 * The one place error codes become HTTP statuses. Every code is listed (a new code does not
 * compile until it is given one); 500 marks codes no request should meet, and whose
 * messages the error handler passes on as they are, except INTERNAL's.
 */
const statusByCode: Record<ErrorCode, number> = {
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
  FETCH_NOT_FOUND: 422,
  FETCH_FORBIDDEN_ADDRESS: 422,
  FETCH_TOO_MANY_REDIRECTS: 422,
  SOURCE_NOT_ALLOWED: 422,
  TOO_LARGE: 413,
  TOO_LONG: 422,
  NOT_AUDIO: 422,
  SILENT_AUDIO: 422,
  MODEL_MISMATCH: 409,
  REINDEX_IN_PROGRESS: 409,
  SEGMENTATION_MISMATCH: 409,
  RANGE_NOT_SATISFIABLE: 416,
  TOO_MANY_COLLECTIONS: 409,
  COLLECTION_DELETING: 409,
  FETCH_FAILED: 502,
  SCRATCH_WRITE_FAILED: 503,
  NOT_READY: 503,
  BACKLOG_FULL: 503,
  BUSY: 503,
  HOST_NOT_ALLOWED: 403,
  UNSAFE_CONTENT_TYPE: 415,
  // nginx's "client closed request": nobody reads it, the logs do.
  REQUEST_ABORTED: 499,
  // Failures of a job or of this process, not of a request: a bug or an outage if one leaks here.
  WORKER_STALLED: 500,
  BAD_PAYLOAD: 500,
  EXECUTION_PROVIDER_UNAVAILABLE: 500,
  MODEL_CARD_INVALID: 500,
  MODEL_LOAD_FAILED: 500,
  INFERENCE_FAILED: 500,
  EMBEDDER_CLOSED: 500,
  NO_SOURCE_URL: 500,
  REINDEX_ABANDONED: 500,
  CONFIG_INVALID: 500,
  INTERNAL: 500,
};

export function httpStatusOf(code: ErrorCode): number {
  return statusByCode[code];
}
