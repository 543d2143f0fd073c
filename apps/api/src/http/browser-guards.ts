import type { FastifyInstance } from 'fastify';

/** Host names a browser uses for a loopback listener; anything else is another site's name. */
const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];

/**
 * DNS rebinding: a page on `evil.example` whose name is re-pointed at 127.0.0.1 gets the
 * browser to send its requests here, same-origin as far as the browser knows, and reads
 * the answers. The Host header still says `evil.example`, so a keyless API (loopback only,
 * env.ts) answers only requests addressed to a loopback name with the port it listens on.
 * With keys it is not needed: the page cannot know a key.
 */
export function installHostAllowlist(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    const host = (request.headers.host ?? '').toLowerCase();
    const port = request.socket.localPort;
    const allowed = LOOPBACK_HOSTS.some((name) => host === `${name}:${port}` || (port === 80 && host === name));
    if (!allowed) {
      return reply
        .status(403)
        .send({ error: { code: 'HOST_NOT_ALLOWED', message: `this API answers only requests addressed to localhost, 127.0.0.1 or [::1] on port ${port}` } });
    }
  });
}

/** What a cross-site HTML form, or a `no-cors` fetch, may send without a CORS preflight. */
const SIMPLE_CONTENT_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);

/**
 * Cross-site request forgery: another site's page can make the browser POST a form (or a
 * `no-cors` fetch) here, with a body the server acts on even though the page never reads the
 * answer. Such a request can carry only a "simple" content type (or none) and no custom
 * header; a JSON body, a raw `audio/*` or `application/octet-stream` upload, an
 * `Authorization` header or `X-Requested-With` each need a preflight this API never grants.
 * So a POST is served only with one of those: forms, `text/plain` and a multipart upload
 * without `X-Requested-With` are refused. PUT, PATCH and DELETE always need a preflight.
 */
export function installCrossSiteGuard(app: FastifyInstance): void {
  app.addHook('onRequest', async (request, reply) => {
    if (request.method !== 'POST') return;
    if (request.headers.authorization || request.headers['x-requested-with']) return;
    const contentType = (request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (contentType && !SIMPLE_CONTENT_TYPES.has(contentType)) return;
    return reply.status(415).send({
      error: {
        code: 'UNSAFE_CONTENT_TYPE',
        message: `POST needs a JSON body (content-type: application/json), raw audio for uploads, or an X-Requested-With header (multipart uploads); got ${contentType || 'no content type'}`,
      },
    });
  });
}
