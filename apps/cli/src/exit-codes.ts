/** What `audio-index` exit codes mean, so scripts can branch on them (README, "CLI exit codes"). */
export const ExitCode = {
  OK: 0,
  /** Bad arguments or input the CLI itself rejected (a missing file, a directory where a file was expected). */
  USAGE: 1,
  /** The API answered with an error (its code is printed: an unknown collection or batch, a bad request). */
  API_ERROR: 2,
  /** `ingest --wait` finished, but some items failed (listed). */
  ITEMS_FAILED: 3,
  /** `--wait` gave up before the batch was done. */
  TIMED_OUT: 4,
  /** No API answered at `--api` / AUDIO_INDEX_API (not running, wrong address, or not audio-index). */
  API_UNREACHABLE: 5,
  /** The API refused the key (401): none given, or not one of its API_KEYS. */
  UNAUTHORIZED: 6,
  /** `doctor` found at least one check that fails. */
  DOCTOR_FAILED: 7,
  /** A fault in the CLI itself; `--debug` prints the stack trace for a bug report. */
  INTERNAL: 70,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    readonly code?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
