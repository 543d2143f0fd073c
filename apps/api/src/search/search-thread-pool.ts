import type { Worker } from 'node:worker_threads';
import type { SearchThreadOptions, SearchThreadReply, SearchThreadRequest, ShardPart } from './search-thread-protocol.ts';
import { QueryCoalescer, type CoalescerStats } from './query-coalescer.ts';
import { mergeTopK, type TopKLists } from './top-k-merge.ts';
import { AppError, startTypeScriptWorker } from '@audio-index/shared';

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
  startedAt: number;
}

/** A replacement that dies within this long of starting counts as a failed start (backoff). */
const QUICK_EXIT_MS = 5_000;
const MAX_RESPAWN_DELAY_MS = 10_000;

function spawnThread(options: SearchThreadOptions): SearchThread {
  const worker = startTypeScriptWorker(new URL('./search-thread.ts', import.meta.url), { workerData: options });
  return { worker, pending: new Map<number, Pending>(), startedAt: Date.now() };
}

/**
 * Search off the event loop: every thread sees every shard (shared memory), and a query's
 * rows are split evenly between the threads, whatever the shard sizes; the per-thread
 * top-k lists are merged here.
 */
export class SearchThreadPool {
  private nextRequestId = 1;
  private closed = false;
  /**
   * Everything added and not dropped, so a thread that exits (a crash in the addon, an OOM
   * kill of the thread) is replaced by one that holds the same shards and views. The rows
   * are the same shared memory, so keeping them here costs no copy.
   */
  private readonly shards = new Map<string, { dim: number; vectors: Float32Array }>();
  private readonly views = new Map<string, ShardPart[]>();
  private quickExits = 0;
  /** Threads exited and replaced so far. */
  respawns = 0;
  private readonly respawnTimers = new Set<NodeJS.Timeout>();
  /** Concurrent searches of a view share engine calls (query-coalescer.ts). */
  private readonly coalescer: QueryCoalescer;

  private constructor(
    private readonly threads: SearchThread[],
    private readonly options: SearchThreadOptions,
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
    const threads = Array.from({ length: threadCount }, () => spawnThread(options));
    const pool = new SearchThreadPool(threads, options, batchQueries);
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
    this.shards.set(shardKey, { dim, vectors });
    this.broadcast({ type: 'add-shard', shardKey, dim, vectors });
  }

  dropShard(shardKey: string): void {
    this.shards.delete(shardKey);
    this.broadcast({ type: 'drop-shard', shardKey });
  }

  addView(viewKey: string, parts: ShardPart[]): void {
    this.views.set(viewKey, parts);
    this.broadcast({ type: 'add-view', viewKey, parts });
  }

  dropView(viewKey: string): void {
    this.views.delete(viewKey);
    this.broadcast({ type: 'drop-view', viewKey });
  }

  /** Test hook: ends thread `index` as a crash would (its pending searches fail, a replacement starts). */
  async terminateThreadForTest(index: number): Promise<void> {
    await this.threads[index]?.worker.terminate();
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
    if (this.threads.length === 0) throw new AppError('NOT_READY', 'every search thread exited; replacements are starting, retry shortly');
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
    for (const timer of this.respawnTimers) clearTimeout(timer);
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
    thread.worker.on('exit', (code) => {
      // Only the searches this thread held fail; the others, and new ones, go to the rest.
      failAll(new AppError('NOT_READY', `a search thread exited (code ${code}) during the search; retry`));
      this.replace(thread);
    });
  }

  /**
   * Takes an exited thread out at once (a message posted to it would never be answered) and
   * starts a replacement that is sent every shard and view before any search: a thread handles
   * its messages in order, so by the first search it holds what the others hold. Replacements
   * that keep dying at start (the addon cannot load) back off, up to 10 s apart.
   */
  private replace(dead: SearchThread): void {
    const index = this.threads.indexOf(dead);
    if (index >= 0) this.threads.splice(index, 1);
    if (this.closed) return;
    this.quickExits = Date.now() - dead.startedAt < QUICK_EXIT_MS ? this.quickExits + 1 : 0;
    const delay = this.quickExits <= 1 ? 0 : Math.min(MAX_RESPAWN_DELAY_MS, 100 * 2 ** (this.quickExits - 2));
    const timer = setTimeout(() => {
      this.respawnTimers.delete(timer);
      if (this.closed) return;
      const thread = spawnThread(this.options);
      this.listen(thread);
      for (const [shardKey, { dim, vectors }] of this.shards)
        thread.worker.postMessage({ type: 'add-shard', shardKey, dim, vectors } satisfies SearchThreadRequest);
      for (const [viewKey, parts] of this.views) thread.worker.postMessage({ type: 'add-view', viewKey, parts } satisfies SearchThreadRequest);
      this.threads.push(thread);
      this.respawns += 1;
    }, delay);
    this.respawnTimers.add(timer);
  }
}
