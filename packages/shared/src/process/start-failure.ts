import { errorCodeOf } from '../errors.ts';

/**
 * A process that cannot start (bad config, model, Redis refusing its password) says why on
 * one line and exits non-zero, so an orchestrator shows the reason instead of a stack.
 */
export function exitOnStartFailure(service: string, error: unknown): never {
  const cause = error instanceof Error && error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
  console.error(`${service} failed to start: ${errorCodeOf(error)}: ${error instanceof Error ? error.message : String(error)}${cause}`);
  process.exit(1);
}
