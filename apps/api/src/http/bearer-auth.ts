import type { FastifyInstance } from 'fastify';
import type { ApiKeys } from './api-keys.ts';

// The search page holds no data: it asks the user for a key and sends it with every call.
const OPEN_ROUTES = new Set(['/healthz', '/readyz', '/']);

/** `Authorization: Bearer <key>` on every route but health and the search page. */
export function installBearerAuth(app: FastifyInstance, keys: ApiKeys): void {
  if (!keys.required) return;
  // Answers here rather than throwing: plugins with their own error handler (bull-board)
  // would turn a thrown error into a 500.
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (OPEN_ROUTES.has(path)) return;
    if (keys.keyIdOf(request) === undefined) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: { code: 'UNAUTHORIZED', message: 'missing or invalid bearer key' } });
    }
  });
}
