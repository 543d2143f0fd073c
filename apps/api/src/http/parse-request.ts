import type { z } from 'zod';
import { AppError } from '@audio-index/shared';

/** zod-validates a request part; failures become VALIDATION_FAILED with each issue's path. */
export function parseRequest<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value ?? {});
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message }));
  const summary = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
  throw new AppError('VALIDATION_FAILED', summary, { details: issues });
}
