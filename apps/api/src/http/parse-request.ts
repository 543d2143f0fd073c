import type { z } from 'zod';
import { validationFailed } from '@audio-index/shared';

/** zod-validates a request part; failures become VALIDATION_FAILED with each issue's path. */
export function parseRequest<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  throw validationFailed(result.error);
}
