import multipart from '@fastify/multipart';
import type { Queue } from 'bullmq';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Redis } from 'ioredis';
import type { BatchLedger, IngestProducer, Logger, RedisKeys } from '@audio-index/shared';
import type { CollectionService } from './collections/collection-service.ts';
import type { ItemAudioService } from './collections/item-audio-service.ts';
import type { VectorUploadService } from './collections/vector-upload-service.ts';
import { registerApiDocs } from './http/api-docs.ts';
import { acceptRawAudioBodies } from './http/audio-upload.ts';
import { ApiKeys } from './http/api-keys.ts';
import { installBearerAuth } from './http/bearer-auth.ts';
import { installCrossSiteGuard, installHostAllowlist } from './http/browser-guards.ts';
import { installErrorHandler } from './http/error-handler.ts';
import { registerQueueDashboard } from './http/queue-dashboard.ts';
import { installRateLimit } from './http/rate-limit.ts';
import { installRequestDeadline } from './http/request-deadline.ts';
import type { ApiMetrics } from './observability/api-metrics.ts';
import { registerCollectionRoutes } from './routes/collection-routes.ts';
import { registerHealthRoutes, type Readiness } from './routes/health-routes.ts';
import { registerIngestRoutes } from './routes/ingest-routes.ts';
import { registerItemAudioRoutes } from './routes/item-audio-routes.ts';
import { registerMetricsRoutes } from './routes/metrics-routes.ts';
import { registerSearchPageRoutes } from './routes/search-page-routes.ts';
import { registerSearchRoutes } from './routes/search-routes.ts';
import { registerSnapshotRoutes } from './routes/snapshot-routes.ts';
import type { SearchService } from './search/search-service.ts';

export interface ApiServerDeps {
  logger: Logger;
  redis: Redis;
  ledger: BatchLedger;
  ingest: IngestProducer;
  search: SearchService;
  collections: CollectionService;
  vectors: VectorUploadService;
  itemAudio: ItemAudioService;
  metrics: ApiMetrics;
  queues: Queue[];
  snapshots: Readiness;
  apiKeys: readonly string[];
  bodyLimitBytes: number;
  uploadMaxBytes: number;
  rateLimitPerMinute: number;
  /** Fastify's `requestTimeout`, `connectionTimeout`, `keepAliveTimeout` (ms); Fastify's defaults when unset. */
  timeouts?: { requestMs: number; connectionMs: number; keepAliveMs: number } | undefined;
  keys: RedisKeys;
}

/** The HTTP surface only: every dependency arrives built, so tests pass real ones. */
export async function buildApiServer(deps: ApiServerDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // Typed as Fastify's base logger so route modules take a plain FastifyInstance.
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: deps.bodyLimitBytes,
    requestIdHeader: 'x-request-id',
    // Finish in-flight requests on close; idle keep-alive sockets are closed at once.
    forceCloseConnections: 'idle',
    // A slow or stalled client holds a socket (and an upload's scratch file) for at most these.
    // Node checks request timeouts every `connectionsCheckingInterval` (30 s by default): 1 s keeps them near their value.
    ...(deps.timeouts
      ? {
          requestTimeout: deps.timeouts.requestMs,
          connectionTimeout: deps.timeouts.connectionMs,
          keepAliveTimeout: deps.timeouts.keepAliveMs,
          http: { connectionsCheckingInterval: 1000 },
        }
      : {}),
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  installErrorHandler(app);
  if (deps.timeouts) installRequestDeadline(app, deps.timeouts.requestMs);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });
  const apiKeys = new ApiKeys(deps.apiKeys);
  // Order matters (onRequest hooks run as added): a foreign Host is refused before anything
  // is counted; the rate limit counts failed auth too; the form check follows auth, so an
  // unauthenticated POST still answers 401.
  if (!apiKeys.required) installHostAllowlist(app);
  await installRateLimit(app, apiKeys, { perMinute: deps.rateLimitPerMinute, redis: deps.redis, nameSpace: deps.keys.rateLimitPrefix });
  installBearerAuth(app, apiKeys);
  installCrossSiteGuard(app);
  await app.register(multipart, { limits: { fileSize: deps.uploadMaxBytes, files: 1, fields: 10 } });
  acceptRawAudioBodies(app);
  await registerApiDocs(app);
  registerHealthRoutes(app, deps.redis, deps.snapshots);
  registerMetricsRoutes(app, deps.metrics);
  registerIngestRoutes(app, deps.ingest, deps.ledger);
  registerSearchRoutes(app, deps.search, deps.uploadMaxBytes);
  registerCollectionRoutes(app, deps.collections, deps.vectors);
  registerSnapshotRoutes(app, deps.collections);
  registerItemAudioRoutes(app, deps.itemAudio);
  registerSearchPageRoutes(app);
  await registerQueueDashboard(app, deps.queues);
  return app;
}
