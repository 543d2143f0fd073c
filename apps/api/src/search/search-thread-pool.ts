import type { Worker } from 'node:worker_threads';
import type { SearchThreadOptions, SearchThreadReply, SearchThreadRequest, ShardPart } from './search-thread-protocol.ts';
import { QueryCoalescer, type CoalescerStats } from './query-coalescer.ts';
import { mergeTopK, type TopKLists } from './top-k-merge.ts';
import { startTypeScriptWorker } from '@audio-index/shared';

/**
 * Below this many floats scanned (~8 MB, well under a millisecond) splitting a query across
 * threads costs more in messages than it saves, so one thread answers it.
 */
const SPLIT_THRESHOLD_FLOATS = 2 * 1024 * 1024;

interface Pending {
  resolve(lists: TopKLists): void;
  reject(error: Error): void;
}

interface SearchThread {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * Search off the event loop: every thread sees every shard (shared memory), and a query's
 * rows are split evenly between the threads, whatever the shard sizes; the per-thread
 * top-k lists are merged here.
 */
export class SearchThreadPool {
  private nextRequestId = 1;
  private closed = false;
  /** Concurrent searches of a view share engine calls (query-coalescer.ts). */
  private readonly coalescer: QueryCoalescer;

  private constructor(
    private readonly threads: SearchThread[],
    batchQueries: boolean,
  ) {
    this.coalescer = new QueryCoalescer(
      (viewKey, totalRows, dim, queries, k) => this.searchNow(viewKey, totalRows, dim, queries, k),
      // A call big enough to split already keeps every thread busy; small ones run side by side.
      // Without batching every search is a call of its own (the baseline bench/search compares with).
      (totalRows, dim) => (!batchQueries ? Infinity : totalRows * dim >= SPLIT_THRESHOLD_FLOATS ? 1 : this.threads.length),
    );
  }

  /** `batchQueries: false` scans every search alone (for benchmarks); the API always batches. */
  static async start(threadCount: number, options: SearchThreadOptions, { batchQueries = true }: { batchQueries?: boolean } = {}): Promise<SearchThreadPool> {
    const threads = Array.from({ length: threadCount }, () => {
      const worker = startTypeScriptWorker(new URL('./search-thread.ts', import.meta.url), { workerData: options });
      return { worker, pending: new Map<number, Pending>() };
    });
    const pool = new SearchThreadPool(threads, batchQueries);
    for (const thread of threads) pool.listen(thread);
    // An empty search proves each thread loaded the addon before the API says it is ready.
    await Promise.all(
      threads.map((thread) => {
        thread.worker.postMessage({ type: 'add-view', viewKey: '#probe', parts: [] } satisfies SearchThreadRequest);
        return pool.ask(thread, { viewKey: '#probe', dim: 1, queries: new Float32Array(1), k: 1, rowStart: 0, rowEnd: 0 });
      }),
    );
    return pool;
  }

  get size(): number {
    return this.threads.length;
  }

  addShard(shardKey: string, dim: number, vectors: Float32Array): void {
    this.broadcast({ type: 'add-shard', shardKey, dim, vectors });
  }

  dropShard(shardKey: string): void {
    this.broadcast({ type: 'drop-shard', shardKey });
  }

  addView(viewKey: string, parts: ShardPart[]): void {
    this.broadcast({ type: 'add-view', viewKey, parts });
  }

  dropView(viewKey: string): void {
    this.broadcast({ type: 'drop-view', viewKey });
  }

  /** Top `k` of each query over the view's `totalRows` rows; batched with concurrent searches of the same view. */
  async search(viewKey: string, totalRows: number, dim: number, queries: Float32Array, k: number): Promise<TopKLists> {
    if (this.closed) throw new Error('search thread pool is closed');
    return this.coalescer.search(viewKey, totalRows, dim, queries, k);
  }

  /** Engine calls and queries so far (their ratio is the mean batch). */
  batchingStats(): CoalescerStats {
    return this.coalescer.stats();
  }

  private async searchNow(viewKey: string, totalRows: number, dim: number, queries: Float32Array, k: number): Promise<TopKLists> {
    const queryCount = queries.length / dim;
    const split = totalRows * dim * queryCount >= SPLIT_THRESHOLD_FLOATS ? this.threads.length : 1;
    const chosen = split === 1 ? [this.leastBusyThread()] : this.threads;
    const lists = await Promise.all(
      chosen.map((thread, index) =>
        this.ask(thread, {
          viewKey,
          dim,
          queries,
          k,
          rowStart: Math.floor((totalRows * index) / chosen.length),
          rowEnd: Math.floor((totalRows * (index + 1)) / chosen.length),
        }),
      ),
    );
    return mergeTopK(lists, queryCount, k);
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.threads.map((thread) => thread.worker.terminate()));
  }

  private leastBusyThread(): SearchThread {
    return this.threads.reduce((best, thread) => (thread.pending.size < best.pending.size ? thread : best));
  }

  private broadcast(request: SearchThreadRequest): void {
    for (const thread of this.threads) thread.worker.postMessage(request);
  }

  private ask(thread: SearchThread, search: Omit<Extract<SearchThreadRequest, { type: 'search' }>, 'type' | 'requestId'>): Promise<TopKLists> {
    const requestId = this.nextRequestId++;
    return new Promise<TopKLists>((resolve, reject) => {
      thread.pending.set(requestId, { resolve, reject });
      thread.worker.postMessage({ type: 'search', requestId, ...search } satisfies SearchThreadRequest);
    });
  }

  private listen(thread: SearchThread): void {
    thread.worker.on('message', (reply: SearchThreadReply) => {
      const pending = thread.pending.get(reply.requestId);
      if (!pending) return;
      thread.pending.delete(reply.requestId);
      if (reply.type === 'result') pending.resolve({ scores: reply.scores, parts: reply.parts, rows: reply.rows });
      else pending.reject(new Error(reply.message));
    });
    const failAll = (error: Error) => {
      for (const pending of thread.pending.values()) pending.reject(error);
      thread.pending.clear();
    };
    thread.worker.on('error', failAll);
    thread.worker.on('exit', (code) => failAll(new Error(`search thread exited with code ${code}`)));
  }
}
