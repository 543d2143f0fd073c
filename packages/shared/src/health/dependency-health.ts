import type { Logger } from 'pino';

/** The outside systems a process depends on, as named in logs, `/readyz` and `/metrics`. */
export type DependencyName = 'redis' | 'store';

export interface DependencyState {
  readonly name: DependencyName;
  readonly up: boolean;
  /** When the current state began (ms since the epoch). */
  readonly since: number;
  /** The last failure's one-line reason while down. */
  readonly reason?: string;
}

/** First reminder while a dependency stays down; each later one waits twice as long. */
const FIRST_REMINDER_MS = 30_000;
const MAX_REMINDER_MS = 10 * 60_000;
/**
 * A failure this soon after a dependency came back is the same outage's tail (a restarted S3
 * answering 500 once while it loads its buckets was seen 40 ms after recovering): logged at debug,
 * start and end, unless it lasts long enough for a reminder. Readiness and gauges follow it as usual.
 */
const RELAPSE_MS = 5_000;

interface Outage {
  readonly since: number;
  reason: string;
  failures: number;
  nextReminderAt: number;
  reminderMs: number;
  /** Began within RELAPSE_MS of a recovery and has not lasted to a reminder: its lines go to debug. */
  relapse: boolean;
  /** The sources (e.g. Redis connection names) that failed and have not come back yet. */
  readonly sources: Set<string>;
}

/**
 * Whether each dependency answers, as the process last saw it, and the only place that logs
 * the transitions: one warning when a dependency becomes unreachable, reminders at doubling
 * intervals while it stays so, one line with the outage's duration when it is back. Clients
 * retry with their own backoff meanwhile; their per-attempt failures are counted here, not
 * logged, so an outage costs a handful of lines instead of one stack per reconnect.
 */
export class DependencyHealth {
  private readonly outages = new Map<DependencyName, Outage>();
  private readonly seen = new Map<DependencyName, number>();
  private readonly recoveredAt = new Map<DependencyName, number>();
  private logger: Logger | undefined;

  /** The logger lines go to, for helpers that report faults on the registry's behalf. */
  get log(): Logger | undefined {
    return this.logger;
  }

  constructor(private readonly now: () => number = Date.now) {}

  /** Lines go to this logger from now on (the process's, once its config is parsed). */
  useLogger(logger: Logger): void {
    this.logger = logger;
  }

  /** A dependency in use, counted as up until something fails. */
  track(name: DependencyName): void {
    if (!this.seen.has(name)) this.seen.set(name, this.now());
  }

  /** One failed attempt from `source`; logs only when this starts an outage or a reminder is due. */
  failed(name: DependencyName, source: string, error: unknown): void {
    this.track(name);
    const reason = describeFailure(error);
    const now = this.now();
    const outage = this.outages.get(name);
    if (!outage) {
      const relapse = now - (this.recoveredAt.get(name) ?? Number.NEGATIVE_INFINITY) < RELAPSE_MS;
      this.outages.set(name, {
        since: now,
        reason,
        failures: 1,
        nextReminderAt: now + FIRST_REMINDER_MS,
        reminderMs: FIRST_REMINDER_MS,
        relapse,
        sources: new Set([source]),
      });
      const line = relapse ? `${name} unreachable again just after coming back (${reason})` : `${name} unreachable (${reason}); retrying with backoff`;
      this.logger?.[relapse ? 'debug' : 'warn']({ dependency: name, source, reason }, line);
      return;
    }
    outage.failures += 1;
    outage.reason = reason;
    outage.sources.add(source);
    if (now >= outage.nextReminderAt) {
      outage.relapse = false;
      outage.reminderMs = Math.min(outage.reminderMs * 2, MAX_REMINDER_MS);
      outage.nextReminderAt = now + outage.reminderMs;
      this.logger?.warn(
        { dependency: name, reason, downMs: now - outage.since, failures: outage.failures },
        `${name} still unreachable after ${seconds(now - outage.since)} (${reason})`,
      );
    }
  }

  /**
   * `source` reached the dependency again. The outage ends when every source that failed
   * during it is back, so several connections reconnecting one by one give one line.
   */
  recovered(name: DependencyName, source: string): void {
    this.track(name);
    const outage = this.outages.get(name);
    if (!outage) return;
    outage.sources.delete(source);
    if (outage.sources.size > 0) return;
    this.endOutage(name, outage);
  }

  isUp(name: DependencyName): boolean {
    return !this.outages.has(name);
  }

  states(): DependencyState[] {
    const names = new Set<DependencyName>([...this.seen.keys(), ...this.outages.keys()]);
    return [...names].sort().map((name) => {
      const outage = this.outages.get(name);
      return outage ? { name, up: false, since: outage.since, reason: outage.reason } : { name, up: true, since: this.seen.get(name) ?? this.now() };
    });
  }

  private endOutage(name: DependencyName, outage: Outage): void {
    this.outages.delete(name);
    const downMs = this.now() - outage.since;
    this.seen.set(name, this.now());
    this.recoveredAt.set(name, this.now());
    this.logger?.[outage.relapse ? 'debug' : 'info'](
      { dependency: name, downMs, failures: outage.failures },
      `${name} reachable again after ${seconds(downMs)}`,
    );
  }
}

/** The process's one registry: every Redis connection and store call reports here. */
export const dependencyHealth = new DependencyHealth();

/** One line: the error's code and message, never a stack. */
export function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as NodeJS.ErrnoException).code;
  const message = error.message || error.name;
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
