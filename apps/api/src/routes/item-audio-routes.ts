import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { itemIdSchema } from '@audio-index/shared';
import { collectionParamsSchema } from '../collections/collection-schemas.ts';
import type { ItemAudioService } from '../collections/item-audio-service.ts';
import { errorBodySchema, errorResponses } from '../http/error-schema.ts';

export function registerItemAudioRoutes(app: FastifyInstance, audio: ItemAudioService): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/v1/collections/:collection/items/:id/audio',
    {
      schema: {
        tags: ['collections'],
        summary: "Stream an indexed item's recording (for playing results)",
        description:
          'Honours a single `Range: bytes=` request (206 with `Content-Range`; 416 when it starts past the end), so players can seek. Other range forms get the whole recording (200).',
        params: collectionParamsSchema.extend({ id: itemIdSchema }),
        headers: z.object({ range: z.string().optional().describe('bytes=first-last, bytes=first- or bytes=-suffix') }).passthrough(),
        response: {
          200: z.any().describe('the recording, as fetched from its URL'),
          206: z.any().describe('the requested bytes of the recording'),
          416: errorBodySchema,
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const item = await audio.open(request.params.collection, request.params.id, request.headers.range);
      reply.header('accept-ranges', 'bytes').header('cache-control', 'private, max-age=300');
      if (item.status === 416) {
        return reply
          .code(416)
          .header('content-range', `bytes */${item.size}`)
          .send({ error: { code: 'RANGE_NOT_SATISFIABLE', message: `the recording has ${item.size} bytes`, details: { size: item.size } } });
      }
      if (item.status === 206) {
        const { first, last } = item.range;
        reply
          .code(206)
          .header('content-range', `bytes ${first}-${last}/${item.size}`)
          .header('content-length', last - first + 1);
      } else reply.header('content-length', item.size);
      return reply.type(item.contentType).send(item.body);
    },
  );
}
