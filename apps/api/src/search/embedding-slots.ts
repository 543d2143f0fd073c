import { AppError } from '@audio-index/shared';

export interface EmbeddingSlotOptions {
  /** Audio queries fetched, decoded and embedded at once (QUERY_EMBED_CONCURRENCY). */
  concurrency: number;
  /** How long a query waits for a slot before BUSY (QUERY_EMBED_WAIT_MS). */
  waitMs: number;
}

interface Waiter {
  grant(): void;
}

/**
 * A cap on concurrent audio queries (URL and upload): each one runs an ffmpeg process and
 * inference, so without a cap a burst of queries starts a process per request and every one
 * of them slows to a crawl together. Excess queries wait briefly (in arrival order), then fail
 * with 503 BUSY + Retry-After; a query whose client left while waiting leaves the queue.
 */
export class EmbeddingSlots {
  private inUse = 0;
  private readonly waiting: Waiter[] = [];

  constructor(private readonly options: EmbeddingSlotOptions) {}

  get busy(): number {
    return this.inUse;
  }

  async run<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    await this.acquire(signal);
    try {
      if (signal?.aborted) throw new AppError('REQUEST_ABORTED', 'the request was abandoned by its client');
      return await work();
    } finally {
      this.release();
    }
  }

  private acquire(signal: AbortSignal | undefined): Promise<void> {
    if (this.inUse < this.options.concurrency && this.waiting.length === 0) {
      this.inUse += 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const leave = (error: AppError) => {
        const index = this.waiting.indexOf(waiter);
        if (index >= 0) this.waiting.splice(index, 1);
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        reject(error);
      };
      const onAbort = () => leave(new AppError('REQUEST_ABORTED', 'the request was abandoned by its client'));
      const timer = setTimeout(() => {
        leave(
          new AppError('BUSY', `all ${this.options.concurrency} audio-query slots stayed busy for ${this.options.waitMs} ms; retry shortly`, {
            details: { concurrency: this.options.concurrency, retryAfterSeconds: 1 },
          }),
        );
      }, this.options.waitMs);
      const waiter: Waiter = {
        grant: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private release(): void {
    const next = this.waiting.shift();
    // The slot passes straight to the next waiter: inUse stays the same.
    if (next) next.grant();
    else this.inUse -= 1;
  }
}
