/** Messages between the search thread pool (main thread) and each search thread. */

export interface ShardPart {
  shardKey: string;
  /** Tombstone bitmap (bit r set = row r hidden), shared memory; null when none. */
  excluded: Uint8Array | null;
}

export type SearchThreadRequest =
  /** `vectors` lives in a SharedArrayBuffer: every thread sees the same memory, no copy. */
  | { type: 'add-shard'; shardKey: string; dim: number; vectors: Float32Array }
  | { type: 'drop-shard'; shardKey: string }
  /** A snapshot version: its shards in manifest order, as one row space. */
  | { type: 'add-view'; viewKey: string; parts: ShardPart[] }
  | { type: 'drop-view'; viewKey: string }
  /** Search rows [rowStart, rowEnd) of the view's concatenated row space. */
  | { type: 'search'; requestId: number; viewKey: string; dim: number; queries: Float32Array; k: number; rowStart: number; rowEnd: number };

export type SearchThreadReply =
  | {
      type: 'result';
      requestId: number;
      /** Per query, k entries best first: score, part index in the view, row in that shard; part -1 = empty. */
      scores: Float32Array;
      parts: Int32Array;
      rows: Int32Array;
    }
  | { type: 'error'; requestId: number; message: string };

export interface SearchThreadOptions {
  blasDatabaseBlock: number;
  blasQueryBlock: number;
  /** Queries from which Faiss takes the sgemm path (0: Faiss's own 20). */
  blasThreshold?: number;
}
