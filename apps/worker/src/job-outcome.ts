import type { Job } from 'bullmq';
import { errorCodeOf, isPermanentCode } from '@audio-index/shared';

export interface JobFailure {
  code: string;
  message: string;
  /** Attempts made so far, this one included. */
  attempts: number;
}

export function failureOf(error: unknown, job: Job): JobFailure {
  return {
    code: errorCodeOf(error),
    message: error instanceof Error ? error.message : String(error),
    attempts: job.attemptsMade + 1,
  };
}

/** A permanent code ends the job now; a transient one only once the attempts are used up. */
export function isFinalAttempt(failure: JobFailure, job: Job): boolean {
  return isPermanentCode(failure.code) || failure.attempts >= (job.opts.attempts ?? 1);
}
