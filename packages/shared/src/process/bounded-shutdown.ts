import { constants } from 'node:os';
import type { Logger } from 'pino';
import { disconnectAllRedisConnections } from '../health/redis-health.ts';

/** One thing a stopping process releases, in order (stop accepting work first). */
export interface ShutdownStep {
  readonly name: string;
  run(): Promise<void>;
  /** Longest this step may take; the whole shutdown's deadline caps it too. */
  readonly budgetMs?: number;
  /** What is left behind when the step cannot finish, and what takes care of it (logged then). */
  readonly ifUnreleased?: string;
}

/**
 * Time a process may take past SHUTDOWN_GRACE_MS to release what it holds (close
 * connections, flush logs): every process exits within grace + this, whatever its
 * dependencies do. Orchestrators' kill timeouts (Kubernetes: 30 s) should exceed the sum.
 */
export const RELEASE_MARGIN_MS = 5_000;

export interface BoundedShutdownOptions {
  logger: Logger;
  /** How long in-flight work (a job, a request, a publish) may take to finish. */
  graceMs: number;
  /** Ends the process; replaced in tests of the ordering. */
  exit?: (code: number) => void;
}

/**
 * SIGTERM/SIGINT run the steps in order, each within its budget, all within grace + margin;
 * a step that outlives its share is logged as not released and the next one runs anyway. A
 * second signal exits at once. Steps can be added after the handlers are installed, so a
 * signal during start stops what has started so far.
 *
 * A requested stop exits 0 even when a step could not release everything (Redis gone, say):
 * the process did what it was asked, within its time, and said what it left behind. A
 * non-zero exit after SIGTERM would read as a crash to a supervisor (systemd restarts on it).
 * Only the second signal's forced exit is non-zero (128 + signal, as if killed by it).
 */
export class BoundedShutdown {
  private readonly steps: ShutdownStep[] = [];
  private started = false;
  private readonly exit: (code: number) => void;

  constructor(private readonly options: BoundedShutdownOptions) {
    this.exit = options.exit ?? ((code) => process.exit(code));
  }

  /** Steps run in the order added. */
  add(step: ShutdownStep): void {
    this.steps.push(step);
  }

  /** Steps added this way run before those already added (a server in front of its backends). */
  addFirst(step: ShutdownStep): void {
    this.steps.unshift(step);
  }

  installSignalHandlers(): void {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.on(signal, () => {
        if (this.started) {
          this.options.logger.warn({ signal }, `second ${signal}: exiting now`);
          this.exit(128 + constants.signals[signal]);
          return;
        }
        void this.run(signal);
      });
    }
  }

  async run(reason: string): Promise<void> {
    this.started = true;
    const { logger, graceMs } = this.options;
    const deadline = Date.now() + graceMs + RELEASE_MARGIN_MS;
    logger.info({ reason, graceMs, steps: this.steps.map((step) => step.name) }, 'stopping');
    const unreleased: ShutdownStep[] = [];
    for (const step of this.steps) {
      const remaining = Math.max(0, deadline - Date.now() - RELEASE_RESERVE_MS);
      const budget = Math.min(step.budgetMs ?? remaining, remaining);
      const outcome = await settleWithin(step.run(), budget);
      if (outcome === 'done') continue;
      unreleased.push(step);
      const leftBehind = step.ifUnreleased ? `; ${step.ifUnreleased}` : '';
      if (outcome === 'timeout') logger.warn({ step: step.name, budgetMs: budget }, `${step.name} did not stop within ${budget} ms; moving on${leftBehind}`);
      else logger.warn({ step: step.name, reason: outcome.reason }, `${step.name} did not stop cleanly (${outcome.reason})${leftBehind}`);
    }
    const dropped = disconnectAllRedisConnections();
    if (unreleased.length > 0) {
      const names = unreleased.map((step) => step.name);
      logger.warn({ unreleased: names, droppedRedisConnections: dropped }, `stopped without releasing: ${names.join(', ')}`);
    } else logger.info('stopped');
    this.exit(0);
  }
}

/** Kept for the last step: dropping connections and writing the final lines. */
const RELEASE_RESERVE_MS = 500;

type Outcome = 'done' | 'timeout' | { reason: string };

async function settleWithin(promise: Promise<void>, ms: number): Promise<Outcome> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Outcome>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([
      promise.then(
        (): Outcome => 'done',
        (error: unknown): Outcome => ({ reason: error instanceof Error ? error.message : String(error) }),
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
