import { z } from 'zod';
import { ErrorCodes } from '@audio-index/shared';

export const errorBodySchema = z.object({
  error: z.object({ code: z.enum(ErrorCodes).describe('stable error code'), message: z.string(), details: z.unknown().optional() }),
});

/** The error answers every v1 route can give, for the OpenAPI document. */
export const errorResponses = {
  400: errorBodySchema,
  401: errorBodySchema,
  404: errorBodySchema,
  413: errorBodySchema,
  429: errorBodySchema,
  503: errorBodySchema,
};
