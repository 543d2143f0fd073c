import type { FastifyInstance } from 'fastify';
import { parseRequest } from '../http/parse-request.ts';
import { searchRequestSchema } from '../search/search-request.ts';
import type { SearchService } from '../search/search-service.ts';

export function registerSearchRoutes(app: FastifyInstance, search: SearchService): void {
  app.post('/v1/search', async (request) => search.search(parseRequest(searchRequestSchema, request.body)));
}
