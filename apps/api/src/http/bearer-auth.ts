import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';

// The search page holds no data: it asks the user for a key and sends it with every call.
const OPEN_ROUTES = new Set(['/healthz', '/readyz', '/']);

function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

/**
 * `Authorization: Bearer <key>` on every route but health. Keys are compared as SHA-256
 * digests with timingSafeEqual: equal lengths, and no early exit that leaks a prefix.
 */
export function installBearerAuth(app: FastifyInstance, keys: readonly string[]): void {
  if (keys.length === 0) return;
  const keyDigests = keys.map(digest);
  // Answers here rather than throwing: plugins with their own error handler (bull-board)
  // would turn a thrown error into a 500.
  app.addHook('onRequest', async (request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    if (OPEN_ROUTES.has(path)) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const presented = match ? digest(match[1]!.trim()) : undefined;
    let accepted = false;
    for (const key of keyDigests) if (presented && timingSafeEqual(presented, key)) accepted = true;
    if (!accepted) {
      return reply
        .status(401)
        .header('www-authenticate', 'Bearer')
        .send({ error: { code: 'UNAUTHORIZED', message: 'missing or invalid bearer key' } });
    }
  });
}
