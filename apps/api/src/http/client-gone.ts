import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * Aborts when the client disconnects before its answer is sent, so a URL or upload query
 * stops fetching and decoding for nobody (fetch, ffmpeg and the embedding-slot queue take it).
 * The response's `close` fires on both a finished answer and a dropped socket;
 * `writableFinished` tells them apart.
 */
export function clientGoneSignal(request: FastifyRequest, reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) {
      request.log.info('client went away; stopping its query');
      controller.abort();
    }
  });
  return controller.signal;
}
