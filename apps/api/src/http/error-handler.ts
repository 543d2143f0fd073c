import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { CodedError, errorCodeOf, summariseIssues, type ErrorCode, type ValidationIssue } from '@audio-index/shared';
import { httpStatusOf } from './error-status.ts';
import { redisUnavailable } from './request-redis.ts';

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}

/**
 * Every error leaves as `{error:{code,message,details}}` with a code of the shared list.
 * Anything that is not a CodedError (an errno, a driver's error, a bug) is logged
 * with its stack and the request id, and answered as a 500 INTERNAL that carries only the
 * request id: no internals reach the caller.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    // Redis unreachable (request-redis.ts fails fast) is an outage to wait out, not a bug.
    const unavailable = redisUnavailable(error);
    if (unavailable) {
      request.log.warn({ reason: (error as Error).message }, 'redis unavailable');
      error = unavailable as unknown as FastifyError;
    }
    let code: ErrorCode = errorCodeOf(error);
    let status = httpStatusOf(code);
    let message = error.message;
    let details = error instanceof CodedError ? error.details : undefined;
    if (hasZodFastifySchemaValidationErrors(error)) {
      // Schema validation of a route: same shape as parseRequest's (path like "items.0.url").
      code = 'VALIDATION_FAILED';
      status = 400;
      const issues: ValidationIssue[] = error.validation.map((issue) => ({
        path: issue.instancePath.replace(/^\//, '').replaceAll('/', '.'),
        message: issue.message ?? 'invalid',
      }));
      details = issues;
      message = summariseIssues(issues);
    } else if (error.statusCode === 429) {
      code = 'RATE_LIMITED';
      status = 429;
      details = undefined;
    } else if (!(error instanceof CodedError) && isFastifyRejection(error)) {
      status = error.statusCode ?? 400;
      code = status === 413 ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_FAILED';
      details = undefined;
    } else if (code === 'INTERNAL') {
      // Not one of ours, or our own INTERNAL (whose message may name paths or commands).
      request.log.error({ err: error }, 'unhandled error');
      status = 500;
      message = `internal error (request ${request.id})`;
      details = { requestId: request.id };
    }
    // The client may still be sending the rest of an oversized body: close the connection
    // rather than leave a keep-alive socket with unread bytes for the next request.
    if (status === 413) void reply.header('connection', 'close');
    // Every 503 is "try again": say when (backpressure sets its own, from the backlog).
    if (status === 503 && !reply.hasHeader('retry-after')) {
      const seconds = (details as { retryAfterSeconds?: unknown } | undefined)?.retryAfterSeconds;
      void reply.header('retry-after', String(typeof seconds === 'number' ? seconds : 1));
    }
    const body: ErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}` } });
  });
}

/** Fastify's own 4xx rejections (body too large, bad JSON, wrong content type): its errors' codes start with FST_. */
function isFastifyRejection(error: FastifyError): boolean {
  return typeof error.code === 'string' && error.code.startsWith('FST_') && (error.statusCode ?? 500) < 500;
}
