import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { itemIdSchema } from '@audio-index/shared';
import { collectionParamsSchema, collectionSummarySchema, reindexRequestSchema, vectorUploadSchema } from '../collections/collection-schemas.ts';
import type { CollectionService } from '../collections/collection-service.ts';
import type { VectorUploadService } from '../collections/vector-upload-service.ts';
import { errorResponses } from '../http/error-schema.ts';

export function registerCollectionRoutes(app: FastifyInstance, collections: CollectionService, vectors: VectorUploadService): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['collections'];
  routes.get(
    '/v1/collections',
    { schema: { tags, summary: 'Every collection', response: { 200: z.object({ collections: z.array(collectionSummarySchema) }), ...errorResponses } } },
    async () => ({ collections: await collections.list() }),
  );
  routes.get(
    '/v1/collections/:collection',
    {
      schema: {
        tags,
        summary: 'One collection: model, size, snapshot, pending entries',
        params: collectionParamsSchema,
        response: { 200: collectionSummarySchema, ...errorResponses },
      },
    },
    async (request) => collections.describe(request.params.collection),
  );
  routes.delete(
    '/v1/collections/:collection',
    {
      schema: {
        tags,
        summary: 'Delete the collection: its snapshots, batches and stream (through the indexer; the name is free again once done)',
        params: collectionParamsSchema,
        response: { 202: z.object({ collection: z.string(), deleting: z.literal(true) }), ...errorResponses },
      },
    },
    async (request, reply) => {
      await collections.deleteCollection(request.params.collection);
      return reply.status(202).send({ collection: request.params.collection, deleting: true as const });
    },
  );
  routes.delete(
    '/v1/collections/:collection/items/:id',
    {
      schema: {
        tags,
        summary: 'Remove an item from the next snapshot on',
        params: collectionParamsSchema.extend({ id: itemIdSchema }),
        response: { 202: z.object({ collection: z.string(), id: z.string() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      await collections.deleteItem(request.params.collection, request.params.id);
      return reply.status(202).send({ collection: request.params.collection, id: request.params.id });
    },
  );
  routes.post(
    '/v1/collections/:collection/vectors',
    {
      schema: {
        tags,
        summary: 'Add vectors computed elsewhere (normalised, then indexed like embedded audio)',
        params: collectionParamsSchema,
        body: vectorUploadSchema,
        response: {
          202: z.object({
            batchId: z.string(),
            collection: z.string(),
            accepted: z.number().int().describe('recordings'),
            segments: z.number().int().describe('rows: segments of those recordings'),
          }),
          ...errorResponses,
        },
      },
    },
    async (request, reply) => reply.status(202).send(await vectors.accept(request.params.collection, request.body)),
  );
  routes.post(
    '/v1/collections/:collection/reindex',
    {
      schema: {
        tags,
        summary: 'Re-embed the collection (all items, or those missing from the snapshot)',
        params: collectionParamsSchema,
        body: reindexRequestSchema,
        response: { 202: z.object({ reindexId: z.string() }), ...errorResponses },
      },
    },
    async (request, reply) => reply.status(202).send(await collections.reindex(request.params.collection, request.body)),
  );
}
