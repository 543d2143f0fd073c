/** What `audio-index` exit codes mean, so scripts can branch on them. */
export const ExitCode = {
  OK: 0,
  /** Bad arguments or input the CLI itself rejected. */
  USAGE: 1,
  /** The API answered with an error (its code is printed), or could not be reached. */
  API_ERROR: 2,
  /** `ingest --wait` finished, but some items failed (listed). */
  ITEMS_FAILED: 3,
  /** `--wait` gave up before the batch was done. */
  TIMED_OUT: 4,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    readonly code?: string,
  ) {
    super(message);
  }
}
