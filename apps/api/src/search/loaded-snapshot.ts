import type { Manifest, ShardRow } from '@audio-index/shared';
import type { LoadedShard } from './loaded-shard.ts';
import type { SearchThreadPool } from './search-thread-pool.ts';
import type { ShardPart } from './search-thread-protocol.ts';
import { StoredRecording } from './stored-recording.ts';

/** One row (segment) found by the engine. */
export interface SegmentHit {
  id: string;
  url: string | undefined;
  metadata: Record<string, unknown> | undefined;
  score: number;
  /** The row's stretch; unset for a vector imported without times. */
  start: number | undefined;
  end: number | undefined;
  /** Where the row lives in this snapshot's view: shard index and row in that shard. */
  part: number;
  row: number;
}

interface ServedShard {
  shard: LoadedShard;
  tombstones: ReadonlySet<number>;
  /** Bit r set = row r hidden; shared with the search threads. */
  excluded: Uint8Array | null;
}

/**
 * One published version, fully loaded. A query runs against exactly one of these (its
 * view in the search threads), so it never sees half of a reload.
 */
export class LoadedSnapshot {
  readonly viewKey: string;
  private readonly served: ServedShard[];
  private readonly totalRows: number;
  /** Rows a search can return (tombstoned ones excluded). */
  readonly visibleRows: number;

  constructor(
    readonly manifest: Manifest,
    shardsById: ReadonlyMap<string, LoadedShard>,
    private readonly pool: SearchThreadPool,
    readonly loadedAt = new Date(),
  ) {
    this.viewKey = `${manifest.collection}@${manifest.version}`;
    this.served = manifest.shards.map((entry) => {
      const shard = shardsById.get(entry.id);
      if (!shard) throw new Error(`shard ${entry.id} not loaded`);
      return { shard, tombstones: new Set(entry.tombstones), excluded: tombstoneBitmap(entry.tombstones, shard.size) };
    });
    this.totalRows = this.served.reduce((sum, { shard }) => sum + shard.size, 0);
    this.visibleRows = this.served.reduce((sum, { shard, tombstones }) => sum + shard.size - tombstones.size, 0);
  }

  get version(): number {
    return this.manifest.version;
  }

  get count(): number {
    return this.manifest.count;
  }

  get dim(): number {
    return this.manifest.model.dim;
  }

  get shards(): LoadedShard[] {
    return this.served.map((entry) => entry.shard);
  }

  /** The parts the search threads need for this version's view. */
  viewParts(): ShardPart[] {
    return this.served.map(({ shard, excluded }) => ({ shardKey: shard.key, excluded }));
  }

  /** Visible recordings; manifests older than segments have one row per recording. */
  get recordings(): number {
    return this.manifest.recordings ?? this.manifest.count;
  }

  /** Exact top-k rows by inner product of each query (row-major), over every visible row. */
  async searchMany(queries: Float32Array, k: number): Promise<SegmentHit[][]> {
    const queryCount = queries.length / this.dim;
    const lists = await this.pool.search(this.viewKey, this.totalRows, this.dim, queries, k);
    return Array.from({ length: queryCount }, (_, query) => {
      const hits: SegmentHit[] = [];
      for (let slot = query * k; slot < (query + 1) * k && lists.parts[slot]! >= 0; slot += 1) {
        const part = lists.parts[slot]!;
        const row = lists.rows[slot]!;
        const entry = this.served[part]!.shard.rows[row]!;
        hits.push({ id: entry.id, url: entry.url, metadata: entry.metadata, score: lists.scores[slot]!, start: entry.start, end: entry.end, part, row });
      }
      return hits;
    });
  }

  /** The visible rows of the recording that row `row` of shard `part` belongs to. */
  recordingOfRow(part: number, row: number): StoredRecording {
    const { shard, tombstones } = this.served[part]!;
    const run = shard.runsOf(shard.rows[row]!.id).find((candidate) => candidate.start <= row && row < candidate.end);
    if (!run) throw new Error(`row ${row} of shard ${shard.id} is in no run of its id`);
    return new StoredRecording(shard, visibleRowsOf(run, tombstones));
  }

  /**
   * The visible rows of item `id` (all its segments, time order). Replacing a recording
   * tombstones all its old rows, so they sit in one run of one shard; later shards hold
   * newer rows, so search backwards.
   */
  recording(id: string): StoredRecording | undefined {
    for (let index = this.served.length - 1; index >= 0; index -= 1) {
      const { shard, tombstones } = this.served[index]!;
      const runs = shard.runsOf(id);
      for (let runIndex = runs.length - 1; runIndex >= 0; runIndex -= 1) {
        const rows = visibleRowsOf(runs[runIndex]!, tombstones);
        if (rows.length > 0) return new StoredRecording(shard, rows);
      }
    }
    return undefined;
  }

  /** The id list entry (url, metadata) of a visible item: its first segment's row. */
  findRow(id: string): ShardRow | undefined {
    const recording = this.recording(id);
    return recording ? { id: recording.id, url: recording.url, metadata: recording.metadata } : undefined;
  }
}

function visibleRowsOf(run: { start: number; end: number }, tombstones: ReadonlySet<number>): number[] {
  const rows: number[] = [];
  for (let row = run.start; row < run.end; row += 1) if (!tombstones.has(row)) rows.push(row);
  return rows;
}

function tombstoneBitmap(tombstones: readonly number[], rows: number): Uint8Array | null {
  if (tombstones.length === 0) return null;
  const bitmap = new Uint8Array(new SharedArrayBuffer(Math.ceil(rows / 8)));
  for (const row of tombstones) bitmap[row >> 3]! |= 1 << (row & 7);
  return bitmap;
}
