/**
 * How long a collection loop that keeps failing (a torn manifest, a store that refuses it)
 * waits before its next attempt: 1 s doubling to 30 s, so one broken collection does not spin.
 * Only the 1st, 2nd, 4th, 8th... failure of a run is `loud` (logged with its stack), so it does
 * not flood the log either. A loop that led for a minute before failing counts from 1 again.
 */
export class FailureBackoff {
  private consecutive = 0;

  constructor(
    private readonly firstDelayMs = 1000,
    private readonly maxDelayMs = 30_000,
    private readonly resetAfterMs = 60_000,
  ) {}

  /** Called once per failure with how long the failed attempt ran. */
  next(ranMs: number): { attempt: number; retryInMs: number; loud: boolean } {
    this.consecutive = ranMs >= this.resetAfterMs ? 1 : this.consecutive + 1;
    const attempt = this.consecutive;
    const retryInMs = Math.min(this.maxDelayMs, this.firstDelayMs * 2 ** Math.min(attempt - 1, 16));
    return { attempt, retryInMs, loud: (attempt & (attempt - 1)) === 0 };
  }
}
