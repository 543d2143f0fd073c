import type { ShardRow } from '@audio-index/shared';
import type { LoadedShard } from './loaded-shard.ts';

/** What scoring needs of a recording's segments (time order); a StoredRecording or a test's arrays. */
export interface RecordingSegments {
  readonly count: number;
  /** Start of segment i in seconds (0 for a row stored without times). */
  startAt(index: number): number;
  /** Cosine of segment i with the unit vector at `queries[offset .. offset + dim)`. */
  dot(index: number, queries: Float32Array, offset: number): number;
}

/**
 * The visible rows of one recording in a served shard, read in place from the shard's
 * shared memory: scoring an alignment touches a few rows of a recording, never worth a copy.
 */
export class StoredRecording implements RecordingSegments {
  constructor(
    private readonly shard: LoadedShard,
    /** Shard row numbers, in time order. */
    readonly rows: readonly number[],
  ) {}

  private get head(): ShardRow {
    return this.shard.rows[this.rows[0]!]!;
  }

  get id(): string {
    return this.head.id;
  }

  get url(): string | undefined {
    return this.head.url;
  }

  get metadata(): Record<string, unknown> | undefined {
    return this.head.metadata;
  }

  get count(): number {
    return this.rows.length;
  }

  /** True when the rows carry times (segments); false for a vector imported without them. */
  get timed(): boolean {
    return this.head.start !== undefined;
  }

  /** The end of the last segment: the recording's length as far as the index knows it. */
  get duration(): number | null {
    return this.shard.rows[this.rows[this.rows.length - 1]!]!.end ?? null;
  }

  startAt(index: number): number {
    return this.shard.rows[this.rows[index]!]!.start ?? 0;
  }

  endAt(index: number): number | null {
    return this.shard.rows[this.rows[index]!]!.end ?? null;
  }

  dot(index: number, queries: Float32Array, offset: number): number {
    const { dim, vectors } = this.shard;
    const base = this.rows[index]! * dim;
    let sum = 0;
    for (let column = 0; column < dim; column += 1) sum += vectors[base + column]! * queries[offset + column]!;
    return sum;
  }

  /** The rows' vectors, copied (row-major): a query by id searches with them. */
  vectors(): Float32Array {
    const { dim, vectors } = this.shard;
    const copy = new Float32Array(this.rows.length * dim);
    this.rows.forEach((row, index) => copy.set(vectors.subarray(row * dim, (row + 1) * dim), index * dim));
    return copy;
  }

  /** The rows' stretches; a row without times covers the whole recording from 0. */
  spans(): { start: number; end: number | null }[] {
    return this.rows.map((_, index) => ({ start: this.startAt(index), end: this.endAt(index) }));
  }
}
