import type { z } from 'zod';
import { AppError } from '../errors.ts';

/** One failed check: where (a dotted path such as "items.0.url"; '' for the value itself) and why. */
export interface ValidationIssue {
  path: string;
  message: string;
}

export function validationIssues(error: z.ZodError): ValidationIssue[] {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
}

/** The issues on one line: "items.0.url: Invalid URL; k: Too big". */
export function summariseIssues(issues: readonly ValidationIssue[]): string {
  return issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message)).join('; ');
}

/** VALIDATION_FAILED naming every issue, with the issues as details: what the API answers 400 with. */
export function validationFailed(error: z.ZodError): AppError {
  const issues = validationIssues(error);
  return new AppError('VALIDATION_FAILED', summariseIssues(issues), { details: issues });
}
