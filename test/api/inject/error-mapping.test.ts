import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AppError, ErrorCodes, type ErrorCode } from '@audio-index/shared';
import { EmbeddingError } from '@audio-index/embedding';
import { closeAll, createTestBucket } from '../../harness/test-services.ts';
import { injectedApi, type InjectedApi } from './support/injected-api.ts';

type ErrorBody = { error: { code: string; message: string; details?: unknown } };

// The contract, written out: a code added to the list fails here until its status is decided.
const expectedStatus: Record<ErrorCode, number> = {
  VALIDATION_FAILED: 400,
  DUPLICATE_ITEM_ID: 400,
  INVALID_URL: 400,
  UNSUPPORTED_SCHEME: 400,
  BAD_VECTOR: 400,
  UNAUTHORIZED: 401,
  HOST_NOT_ALLOWED: 403,
  NOT_FOUND: 404,
  COLLECTION_NOT_FOUND: 404,
  BATCH_NOT_FOUND: 404,
  ITEM_NOT_FOUND: 404,
  SNAPSHOT_NOT_FOUND: 404,
  MODEL_MISMATCH: 409,
  REINDEX_IN_PROGRESS: 409,
  SEGMENTATION_MISMATCH: 409,
  TOO_MANY_COLLECTIONS: 409,
  COLLECTION_DELETING: 409,
  PAYLOAD_TOO_LARGE: 413,
  TOO_LARGE: 413,
  UNSAFE_CONTENT_TYPE: 415,
  RANGE_NOT_SATISFIABLE: 416,
  FETCH_NOT_FOUND: 422,
  FETCH_FORBIDDEN_ADDRESS: 422,
  FETCH_TOO_MANY_REDIRECTS: 422,
  SOURCE_NOT_ALLOWED: 422,
  TOO_LONG: 422,
  NOT_AUDIO: 422,
  SILENT_AUDIO: 422,
  RATE_LIMITED: 429,
  REQUEST_ABORTED: 499,
  FETCH_FAILED: 502,
  NOT_READY: 503,
  BACKLOG_FULL: 503,
  BUSY: 503,
  SCRATCH_WRITE_FAILED: 503,
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

describe('error mapping, in process: every code its status and one body shape', () => {
  let api: InjectedApi;
  const thrown = new Map<string, () => Error>([
    ['plain', () => new Error('ENOENT: open /srv/secret/path')],
    // Looks like one of ours by its field alone: an errno or driver error must stay INTERNAL.
    ['lookalike', () => Object.assign(new Error('driver says /srv/secret'), { code: 'COLLECTION_NOT_FOUND', details: { host: 'db.internal' } })],
    ['embedding', () => new EmbeddingError('SILENT_AUDIO', 'the clip is silent')],
  ]);

  beforeAll(async () => {
    const { bucket } = await createTestBucket('inject-errors');
    api = await injectedApi(bucket, {}, (app) => {
      app.get<{ Params: { code: string } }>('/test/codes/:code', async (request) => {
        throw new AppError(request.params.code as ErrorCode, `failed with ${request.params.code}`, { details: { which: request.params.code } });
      });
      app.get<{ Params: { kind: string } }>('/test/thrown/:kind', async (request) => {
        throw thrown.get(request.params.kind)!();
      });
    });
  });

  afterAll(async () => {
    await api?.close();
    await closeAll();
  });

  it('answers each code with its status and {error:{code,message,details}}; INTERNAL with only the request id', async () => {
    const got: Record<string, unknown> = {};
    const want: Record<string, unknown> = {};
    for (const code of ErrorCodes) {
      const requestId = `req-${code.toLowerCase()}`;
      const answer = await api.call<ErrorBody>('GET', `/test/codes/${code}`, { headers: { 'x-request-id': requestId } });
      got[code] = { status: answer.status, body: answer.body, requestId: answer.headers['x-request-id'] };
      want[code] = {
        status: expectedStatus[code],
        body:
          code === 'INTERNAL'
            ? { error: { code, message: `internal error (request ${requestId})`, details: { requestId } } }
            : { error: { code, message: `failed with ${code}`, details: { which: code } } },
        requestId,
      };
    }
    expect(got).toEqual(want);
    expect(Object.keys(expectedStatus).sort()).toEqual([...ErrorCodes].sort());
  });

  it('says when to retry on every 503 and closes the connection after a 413', async () => {
    const busy = await api.call('GET', '/test/codes/BUSY');
    const tooLarge = await api.call('GET', '/test/codes/PAYLOAD_TOO_LARGE');
    expect([busy.headers['retry-after'], tooLarge.headers.connection]).toEqual(['1', 'close']);
  });

  it('answers an unknown error, or one with a lookalike code field, as INTERNAL without its message; an EmbeddingError by its code', async () => {
    const answers: Record<string, unknown> = {};
    for (const kind of thrown.keys()) {
      const answer = await api.call<ErrorBody>('GET', `/test/thrown/${kind}`, { headers: { 'x-request-id': `req-${kind}` } });
      answers[kind] = [answer.status, answer.body];
    }
    expect(answers).toEqual({
      plain: [500, { error: { code: 'INTERNAL', message: 'internal error (request req-plain)', details: { requestId: 'req-plain' } } }],
      lookalike: [500, { error: { code: 'INTERNAL', message: 'internal error (request req-lookalike)', details: { requestId: 'req-lookalike' } } }],
      embedding: [422, { error: { code: 'SILENT_AUDIO', message: 'the clip is silent' } }],
    });
  });

  it('answers a route that does not exist as 404 NOT_FOUND', async () => {
    const answer = await api.call<ErrorBody>('GET', '/v1/nothing-here');
    expect([answer.status, answer.body.error.code]).toEqual([404, 'NOT_FOUND']);
  });
});
