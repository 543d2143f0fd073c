import type { TopKLists } from './top-k-merge.ts';

/** One engine call: the top `k` of each of `queries` (row-major, `dim` wide) over one view. */
export type EngineSearch = (viewKey: string, totalRows: number, dim: number, queries: Float32Array, k: number) => Promise<TopKLists>;

interface Waiting {
  queries: Float32Array;
  k: number;
  resolve(lists: TopKLists): void;
  reject(error: unknown): void;
}

interface ViewQueue {
  totalRows: number;
  dim: number;
  waiting: Waiting[];
  inFlight: number;
}

export interface CoalescerStats {
  /** Engine calls made. */
  calls: number;
  /** Queries answered; `queries / calls` is the mean batch. */
  queries: number;
  /** Largest batch sent in one call. */
  largestBatch: number;
}

/**
 * Batches concurrent searches of one snapshot view into one engine call (issue 13). A scan
 * of 1M x 768 rows costs about the same for 1 query as for 64 (it is memory-bound until
 * sgemm takes over), so 64 clients scanned one by one get ~16 queries/s where one batched
 * scan gives ~130. No timer: a search goes out at once when the view has a free slot (an
 * idle API adds no latency); searches that arrive while its slots are busy wait, and go out
 * together in the next call. The batch size thus follows the load by itself, the way a
 * database's group commit does.
 */
export class QueryCoalescer {
  private readonly views = new Map<string, ViewQueue>();
  private readonly counters: CoalescerStats = { calls: 0, queries: 0, largestBatch: 0 };

  constructor(
    private readonly engine: EngineSearch,
    /** Engine calls one view may have running; the pool passes 1 when each call already uses every thread. */
    private readonly slotsFor: (totalRows: number, dim: number) => number,
    /** Most queries in one call: bounds what the last of a batch waits behind. */
    private readonly maxBatchQueries = 256,
  ) {}

  search(viewKey: string, totalRows: number, dim: number, queries: Float32Array, k: number): Promise<TopKLists> {
    let view = this.views.get(viewKey);
    if (!view) this.views.set(viewKey, (view = { totalRows, dim, waiting: [], inFlight: 0 }));
    const queued = view;
    const answer = new Promise<TopKLists>((resolve, reject) => queued.waiting.push({ queries, k, resolve, reject }));
    this.dispatch(viewKey, view);
    return answer;
  }

  stats(): CoalescerStats {
    return { ...this.counters };
  }

  private dispatch(viewKey: string, view: ViewQueue): void {
    while (view.waiting.length > 0 && view.inFlight < this.slotsFor(view.totalRows, view.dim)) {
      const batch = this.takeBatch(view);
      view.inFlight += 1;
      void this.run(viewKey, view, batch).finally(() => {
        view.inFlight -= 1;
        if (view.waiting.length > 0) this.dispatch(viewKey, view);
        else if (view.inFlight === 0) this.views.delete(viewKey);
      });
    }
  }

  private takeBatch(view: ViewQueue): Waiting[] {
    const batch: Waiting[] = [];
    let queries = 0;
    while (view.waiting.length > 0) {
      const next = view.waiting[0]!;
      const count = next.queries.length / view.dim;
      if (batch.length > 0 && queries + count > this.maxBatchQueries) break;
      batch.push(view.waiting.shift()!);
      queries += count;
    }
    return batch;
  }

  private async run(viewKey: string, view: ViewQueue, batch: Waiting[]): Promise<void> {
    const k = Math.max(...batch.map((entry) => entry.k));
    const counts = batch.map((entry) => entry.queries.length / view.dim);
    const total = counts.reduce((sum, count) => sum + count, 0);
    const queries =
      batch.length === 1
        ? batch[0]!.queries
        : concatenate(
            batch.map((entry) => entry.queries),
            total * view.dim,
          );
    this.counters.calls += 1;
    this.counters.queries += total;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, total);
    try {
      const lists = await this.engine(viewKey, view.totalRows, view.dim, queries, k);
      let first = 0;
      batch.forEach((entry, index) => {
        entry.resolve(sliceLists(lists, k, first, counts[index]!, entry.k));
        first += counts[index]!;
      });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
}

function concatenate(parts: Float32Array[], length: number): Float32Array {
  const joined = new Float32Array(length);
  let offset = 0;
  for (const part of parts) {
    joined.set(part, offset);
    offset += part.length;
  }
  return joined;
}

/** Queries [first, first + count) of lists of `k` per query, cut to the `wanted` best each (lists are best first). */
function sliceLists(lists: TopKLists, k: number, first: number, count: number, wanted: number): TopKLists {
  if (wanted === k && first === 0 && count * k === lists.scores.length) return lists;
  const scores = new Float32Array(count * wanted);
  const parts = new Int32Array(count * wanted);
  const rows = new Int32Array(count * wanted);
  for (let query = 0; query < count; query += 1) {
    const from = (first + query) * k;
    scores.set(lists.scores.subarray(from, from + wanted), query * wanted);
    parts.set(lists.parts.subarray(from, from + wanted), query * wanted);
    rows.set(lists.rows.subarray(from, from + wanted), query * wanted);
  }
  return { scores, parts, rows };
}
