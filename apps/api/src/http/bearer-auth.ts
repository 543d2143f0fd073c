import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { AppError } from '@audio-index/shared';

const OPEN_ROUTES = new Set(['/healthz', '/readyz']);

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
  app.addHook('onRequest', async (request) => {
    const path = request.url.split('?')[0] ?? '';
    if (OPEN_ROUTES.has(path)) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(.+)$/i.exec(header);
    const presented = match ? digest(match[1]!.trim()) : undefined;
    let accepted = false;
    for (const key of keyDigests) if (presented && timingSafeEqual(presented, key)) accepted = true;
    if (!accepted) throw new AppError('UNAUTHORIZED', 'missing or invalid bearer key');
  });
}
