import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';

const page = fs.readFileSync(new URL('../web/search-page.html', import.meta.url));

/**
 * The search page at `/`. It is public (it holds no data); every call it makes carries the
 * bearer key the user types in, so the API's auth applies unchanged.
 */
export function registerSearchPageRoutes(app: FastifyInstance): void {
  app.get('/', async (_request, reply) =>
    reply
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; media-src 'self' blob:")
      .send(page),
  );
}
