import type { FastifyInstance } from 'fastify';
import {
  AppError,
  ingestRequestSchema,
  isSourceRequest,
  sourceIngestRequestSchema,
  type BatchLedger,
  type IngestProducer,
} from '@audio-index/shared';
import { parseRequest } from '../http/parse-request.ts';

export function registerIngestRoutes(app: FastifyInstance, ingest: IngestProducer, ledger: BatchLedger): void {
  app.post('/v1/ingest', async (request, reply) => {
    if (isSourceRequest(request.body)) {
      const accepted = await ingest.acceptSource(parseRequest(sourceIngestRequestSchema, request.body));
      return reply.status(202).send({ ...accepted, accepted: 0, items: [] });
    }
    const accepted = await ingest.accept(parseRequest(ingestRequestSchema, request.body));
    request.log.info({ batchId: accepted.batchId, collection: accepted.collection, accepted: accepted.accepted }, 'accepted batch');
    // Dropped cheaply by pino unless LOG_LEVEL=debug.
    for (const item of accepted.items) request.log.debug({ batchId: accepted.batchId, itemId: item.id, url: item.url }, 'accepted item');
    return reply.status(202).send(accepted);
  });

  app.get<{ Params: { batchId: string } }>('/v1/batches/:batchId', async (request) => {
    const status = await ledger.status(request.params.batchId);
    if (!status) throw new AppError('BATCH_NOT_FOUND', `no batch ${request.params.batchId}`);
    return status;
  });
}
