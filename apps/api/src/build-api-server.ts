import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import type { BatchLedger, Logger } from '@audio-index/shared';
import { installBearerAuth } from './http/bearer-auth.ts';
import { installErrorHandler } from './http/error-handler.ts';
import type { IngestService } from './ingest/ingest-service.ts';
import { registerHealthRoutes } from './routes/health-routes.ts';
import { registerIngestRoutes } from './routes/ingest-routes.ts';
import { registerSearchRoutes } from './routes/search-routes.ts';
import type { SearchService } from './search/search-service.ts';

export interface ApiServerDeps {
  logger: Logger;
  redis: Redis;
  ledger: BatchLedger;
  ingest: IngestService;
  search: SearchService;
  apiKeys: readonly string[];
  bodyLimitBytes: number;
}

/** The HTTP surface only: every dependency arrives built, so tests pass real ones. */
export function buildApiServer(deps: ApiServerDeps): FastifyInstance {
  const app = Fastify({
    // Typed as Fastify's base logger so route modules take a plain FastifyInstance.
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
  });
  installErrorHandler(app);
  installBearerAuth(app, deps.apiKeys);
  registerHealthRoutes(app, deps.redis);
  registerIngestRoutes(app, deps.ingest, deps.ledger);
  registerSearchRoutes(app, deps.search);
  return app;
}
