import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { collectionParamsSchema, snapshotVersionSchema } from '../collections/collection-schemas.ts';
import type { CollectionService } from '../collections/collection-service.ts';
import { errorResponses } from '../http/error-schema.ts';

export function registerSnapshotRoutes(app: FastifyInstance, collections: CollectionService): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['snapshots'];
  routes.get(
    '/v1/collections/:collection/snapshots',
    {
      schema: {
        tags,
        summary: 'Published versions, newest first (up to 100)',
        params: collectionParamsSchema,
        response: { 200: z.object({ collection: z.string(), snapshots: z.array(snapshotVersionSchema) }), ...errorResponses },
      },
    },
    async (request) => ({ collection: request.params.collection, snapshots: await collections.snapshots(request.params.collection) }),
  );
  routes.post(
    '/v1/collections/:collection/snapshots/:version/activate',
    {
      schema: {
        tags,
        summary: 'Roll back: publish a new version with the shards and tombstones of :version',
        params: collectionParamsSchema.extend({ version: z.coerce.number().int().positive() }),
        response: { 200: z.object({ collection: z.string(), activated: z.number().int() }), ...errorResponses },
      },
    },
    async (request) => {
      await collections.activate(request.params.collection, request.params.version);
      return { collection: request.params.collection, activated: request.params.version };
    },
  );
}
