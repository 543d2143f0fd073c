import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { itemIdSchema } from '@audio-index/shared';
import { collectionParamsSchema } from '../collections/collection-schemas.ts';
import type { ItemAudioService } from '../collections/item-audio-service.ts';
import { errorResponses } from '../http/error-schema.ts';

export function registerItemAudioRoutes(app: FastifyInstance, audio: ItemAudioService): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/collections/:collection/items/:id/audio',
    {
      schema: {
        tags: ['collections'],
        summary: "Stream an indexed item's recording (for playing results)",
        params: collectionParamsSchema.extend({ id: itemIdSchema }),
        response: { 200: z.any().describe('the recording, as fetched from its URL'), ...errorResponses },
      },
    },
    async (request, reply) => {
      const item = await audio.open(request.params.collection, request.params.id);
      return reply.header('content-length', item.bytes).header('cache-control', 'private, max-age=300').type(item.contentType).send(item.body);
    },
  );
}
