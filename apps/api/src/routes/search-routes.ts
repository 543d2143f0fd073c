import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { withUploadedAudio } from '../http/audio-upload.ts';
import { clientGoneSignal } from '../http/client-gone.ts';
import { errorResponses } from '../http/error-schema.ts';
import { audioSearchQuerySchema, searchAnswerSchema, searchRequestSchema } from '../search/search-request.ts';
import type { SearchService } from '../search/search-service.ts';

export function registerSearchRoutes(app: FastifyInstance, search: SearchService, uploadMaxBytes: number): void {
  const routes = app.withTypeProvider<ZodTypeProvider>();
  routes.post(
    '/v1/search',
    {
      schema: {
        tags: ['search'],
        summary: 'Top k recordings (or segments) most similar to a vector, a stored item, or audio at a URL',
        description:
          'Default: one result per recording, best first, with `match` (where in it). `groupBy: "segment"` returns segment rows; `segments: n` lists each recording\'s n best. A query longer than a segment is cut into segments and scored at the time offset its segments agree on (docs/segments.md).',
        body: searchRequestSchema,
        response: { 200: searchAnswerSchema, ...errorResponses },
      },
    },
    async (request, reply) => search.search(request.body, clientGoneSignal(request, reply)),
  );
  routes.post(
    '/v1/search/audio',
    {
      schema: {
        tags: ['search'],
        summary: 'Top k recordings (or segments) most similar to uploaded audio (raw body audio/* or multipart file)',
        description: `Uploads up to ${uploadMaxBytes} bytes; duration limited by QUERY_MAX_AUDIO_SECONDS.`,
        querystring: audioSearchQuerySchema,
        response: { 200: searchAnswerSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const signal = clientGoneSignal(request, reply);
      const { collection } = request.query;
      return withUploadedAudio(
        request,
        uploadMaxBytes,
        (filePath) => search.searchAudioFile(collection, request.query, filePath, signal),
        () => search.checkAudioQuery(collection, request.query),
      );
    },
  );
}
