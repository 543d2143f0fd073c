import type { FastifyInstance } from 'fastify';

/**
 * A request whose body has not fully arrived `ms` after it started has its connection closed.
 * Node's own `requestTimeout` stops applying once the request is handed to the app (measured
 * here with Node 20: a body stalled after its headers kept the socket, and an upload's scratch
 * file, until the 60 s idle timeout, and forever for a client trickling a byte now and then).
 * Closing the socket fails the body stream, so the upload's `finally` removes its file.
 */
export function installRequestDeadline(app: FastifyInstance, ms: number): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.raw.complete) return;
    const timer = setTimeout(() => {
      if (request.raw.complete) return;
      request.log.warn({ deadlineMs: ms }, 'request body not received in time; closing the connection');
      request.raw.socket.destroy();
    }, ms);
    timer.unref();
    reply.raw.once('close', () => clearTimeout(timer));
  });
}
