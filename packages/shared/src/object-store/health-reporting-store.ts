import { dependencyHealth, type DependencyHealth } from '../health/dependency-health.ts';
import { classifyStoreFailure } from '../health/store-health.ts';
import { assertSafeKey, type ObjectStore } from './object-store.ts';

/**
 * A store whose calls report to the dependency registry: a call that finds the store unusable
 * marks it down (one warning, then reminders), any call the store answers marks it up again.
 * Errors reach the caller unchanged (the doctor reads S3 error names); only the health is added.
 * Keys are checked before the call, so a refused key says nothing about the store.
 */
export class HealthReportingStore implements ObjectStore {
  readonly location: string;
  /** When the store last answered: a call begun before it that fails now is not a new outage. */
  private lastAnsweredAt = 0;

  constructor(
    private readonly inner: ObjectStore,
    private readonly health: DependencyHealth = dependencyHealth,
  ) {
    this.location = inner.location;
    health.track('store');
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    assertSafeKey(key);
    return this.watch(() => this.inner.put(key, body));
  }

  async get(key: string): Promise<Buffer | undefined> {
    assertSafeKey(key);
    return this.watch(() => this.inner.get(key));
  }

  async download(key: string, filePath: string): Promise<void> {
    assertSafeKey(key);
    return this.watch(() => this.inner.download(key, filePath));
  }

  async *list(prefix: string): AsyncIterable<string> {
    const startedAt = Date.now();
    let answered = false;
    try {
      for await (const key of this.inner.list(prefix)) {
        if (!answered) this.answered();
        answered = true;
        yield key;
      }
    } catch (error) {
      this.failed(error, startedAt);
      throw error;
    }
    if (!answered) this.answered();
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    return this.watch(() => this.inner.delete(key));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private async watch<T>(call: () => Promise<T>): Promise<T> {
    const startedAt = Date.now();
    try {
      const result = await call();
      this.answered();
      return result;
    } catch (error) {
      this.failed(error, startedAt);
      throw error;
    }
  }

  private answered(): void {
    this.lastAnsweredAt = Date.now();
    this.health.recovered('store', this.location);
  }

  private failed(error: unknown, startedAt: number): void {
    const kind = classifyStoreFailure(error);
    if (kind !== 'unusable') this.answered();
    else if (startedAt >= this.lastAnsweredAt) this.health.failed('store', this.location, error);
  }
}
