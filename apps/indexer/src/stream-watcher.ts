import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { compareStreamIds, type Logger } from '@audio-index/shared';

interface Waiter {
  afterId: string;
  wake: () => void;
}

/**
 * How long one blocking read waits. A leader that starts waiting while a read is under way
 * joins the next one, so this is also the most a new entry can wait beyond its own arrival.
 */
const WATCH_BLOCK_MS = 100;
const WATCH_ERROR_BACKOFF_MS = 500;

/**
 * Waits for new entries on many collection streams over one connection, so the number of
 * collections costs no Redis connection (issue 11 item 2). Leaders wait here between reads;
 * the entries themselves are taken afterwards by the fenced read on the shared command
 * connection (stream-reader.ts), so waiting delivers nothing to anyone.
 *
 * On one Redis, a single `XREAD BLOCK` names every waited-on stream. A Redis Cluster refuses
 * multi-key commands across slots and every collection has its own slot, so there the watcher
 * asks each stream without blocking, all in one round trip (pipelined), once per period.
 */
export class StreamWatcher {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private running: Promise<void> | undefined;
  private closed = false;
  private readonly cluster: boolean;

  constructor(
    /** A connection of its own: `XREAD BLOCK` holds it. */
    private readonly redis: Redis,
    private readonly logger: Logger,
  ) {
    this.cluster = (redis as unknown as { isCluster?: boolean }).isCluster === true;
  }

  /** Resolves once `streamKey` holds an entry after `afterId`, or after `timeoutMs`, or on close. */
  wait(streamKey: string, afterId: string, timeoutMs: number): Promise<void> {
    if (this.closed || timeoutMs <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let set = this.waiters.get(streamKey);
      if (!set) this.waiters.set(streamKey, (set = new Set()));
      const waiter: Waiter = {
        afterId,
        wake: () => {
          clearTimeout(timer);
          const waiting = this.waiters.get(streamKey);
          waiting?.delete(waiter);
          if (waiting?.size === 0) this.waiters.delete(streamKey);
          resolve();
        },
      };
      const timer = setTimeout(() => waiter.wake(), timeoutMs);
      set.add(waiter);
      this.running ??= this.watch().finally(() => (this.running = undefined));
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wakeAll();
    this.redis.disconnect();
    await this.running;
  }

  private async watch(): Promise<void> {
    while (!this.closed && this.waiters.size > 0) {
      // The smallest id per stream: anything after it wakes every waiter of that stream.
      const streams = [...this.waiters].map(([key, set]) => [key, lowestId([...set].map((waiter) => waiter.afterId))] as const);
      try {
        const ready = this.cluster ? await this.pollEach(streams) : await this.blockOnAll(streams);
        for (const key of ready) for (const waiter of [...(this.waiters.get(key) ?? [])]) waiter.wake();
        if (this.cluster && ready.length === 0) await sleep(WATCH_BLOCK_MS);
      } catch (error) {
        if (this.closed) return;
        this.logger.error({ err: error }, 'waiting for stream entries failed; leaders read without waiting meanwhile');
        // Each leader reads for itself when woken: nothing is missed while this connection is down.
        this.wakeAll();
        await sleep(WATCH_ERROR_BACKOFF_MS);
      }
    }
  }

  private async blockOnAll(streams: readonly (readonly [string, string])[]): Promise<string[]> {
    const reply = (await this.redis.xread('COUNT', 1, 'BLOCK', WATCH_BLOCK_MS, 'STREAMS', ...streams.map(([key]) => key), ...streams.map(([, id]) => id))) as
      [string, unknown[]][] | null;
    return (reply ?? []).map(([key]) => key);
  }

  private async pollEach(streams: readonly (readonly [string, string])[]): Promise<string[]> {
    const replies = await Promise.all(streams.map(([key, id]) => this.redis.xread('COUNT', 1, 'STREAMS', key, id)));
    return streams.flatMap(([key], index) => (replies[index] ? [key] : []));
  }

  private wakeAll(): void {
    for (const set of [...this.waiters.values()]) for (const waiter of [...set]) waiter.wake();
  }
}

function lowestId(ids: readonly string[]): string {
  return ids.reduce((low, id) => (compareStreamIds(id, low) < 0 ? id : low));
}
