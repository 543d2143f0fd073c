import type { FastifyInstance, FastifySchemaCompiler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError, ingestRequestSchema, isSourceRequest, sourceIngestRequestSchema, type BatchLedger, type IngestProducer } from '@audio-index/shared';
import { errorResponses } from '../http/error-schema.ts';
import { parseRequest } from '../http/parse-request.ts';

const ingestBodySchema = z
  .union([ingestRequestSchema, sourceIngestRequestSchema])
  .describe('An item list, or a bulk `source` (every object under an S3 prefix or file under a directory): a body with `source` is a source request.');

/**
 * The body is one of two shapes told apart by `source`; each is validated alone, so a bad
 * item list is answered with its own issues ("items.0.url: ...") rather than a union's
 * "invalid input". Failures are parseRequest's VALIDATION_FAILED.
 */
const validateIngestBody: FastifySchemaCompiler<unknown> = () => (body: unknown) => {
  try {
    return { value: isSourceRequest(body) ? parseRequest(sourceIngestRequestSchema, body) : parseRequest(ingestRequestSchema, body) };
  } catch (error) {
    return { error: error as Error };
  }
};

const acceptedSchema = z.object({
  batchId: z.string(),
  collection: z.string(),
  accepted: z.number().int().describe('items queued (0 for a source: the listing counts them into the batch)'),
  items: z.array(z.object({ id: z.string(), url: z.string() })),
  source: z.string().optional(),
  listing: z.literal('running').optional(),
});

// Every BatchStatus field: the serializer drops fields a schema does not name (test/api/inject checks the answer equals the ledger's).
const batchStatusSchema = z.object({
  batchId: z.string(),
  collection: z.string(),
  total: z.number().int().describe('grows page by page while a source is listed'),
  embedded: z.number().int(),
  failed: z.number().int(),
  indexed: z.number().int(),
  state: z.enum(['running', 'done']),
  listing: z.enum(['running', 'done']).optional(),
  createdAt: z.string(),
  failures: z.array(z.object({ id: z.string(), url: z.string(), code: z.string(), message: z.string(), attempts: z.number().int() })),
});

export function registerIngestRoutes(app: FastifyInstance, ingest: IngestProducer, ledger: BatchLedger): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['ingest'];
  routes.post(
    '/v1/ingest',
    {
      schema: {
        tags,
        summary: 'Queue recordings (by URL) or a bulk source for embedding and indexing',
        body: ingestBodySchema,
        response: { 202: acceptedSchema, ...errorResponses },
      },
      validatorCompiler: validateIngestBody,
    },
    async (request, reply) => {
      const body = request.body;
      if ('source' in body) {
        const accepted = await ingest.acceptSource(body);
        return reply.status(202).send({ ...accepted, accepted: 0, items: [] });
      }
      const accepted = await ingest.accept(body);
      request.log.info({ batchId: accepted.batchId, collection: accepted.collection, accepted: accepted.accepted }, 'accepted batch');
      // Dropped cheaply by pino unless LOG_LEVEL=debug.
      for (const item of accepted.items) request.log.debug({ batchId: accepted.batchId, itemId: item.id, url: item.url }, 'accepted item');
      return reply.status(202).send(accepted);
    },
  );

  routes.get(
    '/v1/batches/:batchId',
    {
      schema: {
        tags,
        summary: "A batch's counts, state and failures",
        params: z.object({ batchId: z.string() }),
        response: { 200: batchStatusSchema, ...errorResponses },
      },
    },
    async (request) => {
      const status = await ledger.status(request.params.batchId);
      if (!status) throw new AppError('BATCH_NOT_FOUND', `no batch ${request.params.batchId}`);
      return status;
    },
  );
}
