import type { FastifyError, FastifyInstance } from 'fastify';
import { errorCodeOf } from '@audio-index/shared';
import { httpStatusOf } from './error-status.ts';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/**
 * Every error leaves as `{error:{code,message,details}}`. Unknown faults are logged with
 * their stack and answered with a generic message: no internals reach the caller.
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    let code = errorCodeOf(error);
    let status = httpStatusOf(code);
    let message = error.message;
    let details = (error as { details?: unknown }).details;
    if (code.startsWith('FST_')) {
      // Fastify's own rejections (body too large, bad JSON, wrong content type).
      status = error.statusCode ?? 400;
      code = status === 413 ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_FAILED';
      details = undefined;
    } else if (status >= 500 && code === 'INTERNAL') {
      request.log.error({ err: error }, 'unhandled error');
      message = 'internal error';
      details = undefined;
    }
    const body: ErrorBody = { error: { code, message, ...(details === undefined ? {} : { details }) } };
    void reply.status(status).send(body);
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.status(404).send({ error: { code: 'NOT_FOUND', message: `no route ${request.method} ${request.url}` } });
  });
}
