import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AppError } from '../errors.ts';
import { summariseIssues, validationFailed, validationIssues } from './zod-issues.ts';

const schema = z.object({ items: z.array(z.object({ url: z.url() })), k: z.number().max(10) });

describe('zod issue formatting', () => {
  it('names each issue by its dotted path, and the value itself without a prefix', () => {
    const failed = schema.safeParse({ items: [{ url: 'ok' }], k: 11 });
    expect(validationIssues(failed.error!).map((issue) => issue.path)).toEqual(['items.0.url', 'k']);
    const whole = schema.safeParse('text');
    expect(summariseIssues(validationIssues(whole.error!))).toBe(whole.error!.issues[0]!.message);
  });

  it('becomes VALIDATION_FAILED with the summary as message and the issues as details', () => {
    const error = validationFailed(schema.safeParse({ items: [], k: 'x' }).error!);
    expect(error).toBeInstanceOf(AppError);
    expect([error.code, error.message]).toEqual(['VALIDATION_FAILED', `k: ${(error.details as { message: string }[])[0]!.message}`]);
    expect(error.details).toEqual([{ path: 'k', message: expect.any(String) }]);
  });
});
