/**
 * Stable error codes, the one list for every package. Callers branch on `code`, never on
 * message text; the HTTP layer maps each code to a status in one place
 * (apps/api/src/http/error-status.ts), a Record that does not compile with a code unmapped.
 */
export const ErrorCodes = [
  // request validation
  'VALIDATION_FAILED',
  'DUPLICATE_ITEM_ID',
  'INVALID_URL',
  'UNSUPPORTED_SCHEME',
  'BAD_VECTOR',
  'UNAUTHORIZED',
  'NOT_FOUND',
  'COLLECTION_NOT_FOUND',
  'BATCH_NOT_FOUND',
  'ITEM_NOT_FOUND',
  'PAYLOAD_TOO_LARGE',
  'RATE_LIMITED',
  'SNAPSHOT_NOT_FOUND',
  'NOT_READY',
  'BACKLOG_FULL', // the indexer is behind: new items wait (503 + Retry-After)
  'BUSY', // every audio-query embedding slot stayed taken past QUERY_EMBED_WAIT_MS (503 + Retry-After)
  'HOST_NOT_ALLOWED', // a keyless API answers only Host: localhost/127.0.0.1/[::1] with its port (403; DNS rebinding)
  'UNSAFE_CONTENT_TYPE', // a POST a cross-site form could send: no JSON, raw audio or X-Requested-With (415)
  'REQUEST_ABORTED', // the client went away; its fetch, decode and embedding were stopped
  // fetching and decoding (permanent unless noted)
  'FETCH_NOT_FOUND',
  'FETCH_FORBIDDEN_ADDRESS',
  'FETCH_FAILED', // transient: network errors, 5xx, timeouts
  'FETCH_TOO_MANY_REDIRECTS',
  'SOURCE_NOT_ALLOWED', // an s3:// bucket not in S3_ALLOWED_BUCKETS (422, refused at accept and at fetch)
  'SCRATCH_WRITE_FAILED', // transient: this process's scratch space refused a download (disk full, file size limit, permission): not the source's fault
  'TOO_LARGE',
  'TOO_LONG',
  'NOT_AUDIO',
  'SILENT_AUDIO',
  // jobs that end without their processor running to the end
  'WORKER_STALLED', // the job's worker died mid-job more than the stall limit allows (killed, OOM)
  'BAD_PAYLOAD', // the job's payload does not parse (written by an incompatible producer)
  // model and index
  'MODEL_MISMATCH',
  'EXECUTION_PROVIDER_UNAVAILABLE',
  'MODEL_CARD_INVALID',
  'MODEL_LOAD_FAILED',
  'INFERENCE_FAILED', // transient: a crashed inference thread is replaced and the job retried
  'EMBEDDER_CLOSED', // transient: the process is shutting down; another worker takes the job
  // reindex
  'REINDEX_IN_PROGRESS', // a collection builds one new generation at a time (409)
  'SEGMENTATION_MISMATCH', // a collection's segment settings are fixed by its first write (409)
  'RANGE_NOT_SATISFIABLE', // an item audio Range past the end (416)
  'NO_SOURCE_URL', // an item imported as a vector has no recording to re-embed
  'REINDEX_ABANDONED', // a rollback replaced the generation a reindex was re-embedding
  // collections
  'TOO_MANY_COLLECTIONS', // MAX_COLLECTIONS exist; delete one first (409)
  'COLLECTION_DELETING', // DELETE /v1/collections/:c is under way; the name is free once it ends (409)
  'CONFIG_INVALID',
  'INTERNAL',
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

/** Codes that will not change on retry: the job fails at once with no backoff. */
const permanentCodes: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'INVALID_URL',
  'UNSUPPORTED_SCHEME',
  'FETCH_NOT_FOUND',
  'FETCH_FORBIDDEN_ADDRESS',
  'FETCH_TOO_MANY_REDIRECTS',
  'SOURCE_NOT_ALLOWED',
  'TOO_LARGE',
  'TOO_LONG',
  'NOT_AUDIO',
  'SILENT_AUDIO',
  'WORKER_STALLED',
  'BAD_PAYLOAD',
  'BAD_VECTOR',
  'MODEL_MISMATCH',
  'VALIDATION_FAILED',
]);

/**
 * What every error with a stable code is: AppError (apps and packages/shared) and
 * EmbeddingError (packages/embedding, which depends on this package) extend it. Code is
 * recognised by `instanceof CodedError`, never by an error having a `code` field: Node's
 * errno errors (`ENOENT`, `ECONNRESET`), ioredis' and Fastify's carry one too.
 */
export abstract class CodedError<Code extends ErrorCode = ErrorCode> extends Error {
  readonly code: Code;
  readonly details: unknown;

  constructor(code: Code, message: string, options: { cause?: unknown; details?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.code = code;
    this.details = options.details;
  }
}

export class AppError extends CodedError {
  override readonly name = 'AppError';
}

export function isAppError(value: unknown): value is AppError {
  return value instanceof AppError;
}

/**
 * The stable code of an error: a CodedError's. Anything else is INTERNAL: an errno, a
 * driver's or the AWS SDK's error says how something broke inside, and must become neither
 * an item's failure code nor an HTTP answer.
 */
export function errorCodeOf(error: unknown): ErrorCode {
  return error instanceof CodedError ? error.code : 'INTERNAL';
}

export function isPermanentCode(code: string): boolean {
  return permanentCodes.has(code as ErrorCode);
}
