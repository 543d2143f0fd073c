import { z } from 'zod';
import { AppError } from '../errors.ts';
import { validationIssues } from '../validation/zod-issues.ts';

/** `"true"`/`"1"`/`"yes"` style booleans, as environment variables arrive as strings. */
export const envBoolean = z
  .string()
  .trim()
  .toLowerCase()
  .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no']))
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

/** A comma-separated list (`a, b,c`): entries trimmed, empty ones dropped; unset is `[]`. */
export const envCommaList = () =>
  z
    .string()
    .optional()
    .transform((value) =>
      (value ?? '')
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean),
    );

export const envInteger = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

/**
 * Parses `env` once at startup. A bad value fails boot with a message naming every
 * offending variable, instead of surfacing later as an odd runtime fault.
 */
export function parseEnv<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv): z.infer<T> {
  const emptyAsUnset = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== ''));
  const result = schema.safeParse(emptyAsUnset);
  if (result.success) return result.data;
  const problems = validationIssues(result.error).map((issue) => `${issue.path || '(env)'}: ${issue.message}`);
  throw new AppError('CONFIG_INVALID', `invalid configuration:\n  ${problems.join('\n  ')}`, {
    details: problems,
  });
}
