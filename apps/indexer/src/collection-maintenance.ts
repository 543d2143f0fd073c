import type { Logger, ObjectStore } from '@audio-index/shared';
import type { CollectionState } from './collection-state.ts';
import { planCompaction, type CompactionPolicy } from './compaction-plan.ts';
import { compactShards, type CompactedShard } from './shard-compactor.ts';
import type { SnapshotRetention } from './snapshot-retention.ts';

export interface MergeTotals {
  merges: number;
  mergedVectors: number;
  mergeBytesRead: number;
  mergeBytesWritten: number;
}

/** After a failed merge or retention round, wait this long before the next try (the store may be down). */
const FAILURE_BACKOFF_MS = 5_000;

/**
 * Compaction and retention for one leader, run beside its loop so that neither blocks the
 * stream: the loop calls `tick()` between reads; a merge that finished is handed back there
 * and adopted into the state, to go out with the next publish.
 */
export class CollectionMaintenance {
  private merging: Promise<CompactedShard | undefined> | undefined;
  private finished: CompactedShard | undefined;
  private retaining: Promise<void> | undefined;
  private nextMergeAt = 0;
  private nextRetentionAt = 0;
  constructor(
    /** Bytes read and written by merges, for the write-amplification figure; outlives one leadership. */
    private readonly totals: MergeTotals,
    private readonly store: ObjectStore,
    private readonly compaction: CompactionPolicy,
    private readonly retention: SnapshotRetention,
    private readonly retentionIntervalMs: number,
    private readonly logger: Logger,
  ) {}

  /** Adopts a finished merge, starts the next one, and runs retention when due. */
  tick(state: CollectionState): void {
    if (this.finished) {
      const compacted = this.finished;
      this.finished = undefined;
      if (state.adoptCompaction(compacted)) {
        this.totals.merges += 1;
        this.totals.mergedVectors += compacted.origins.length;
        this.totals.mergeBytesRead += compacted.bytesRead;
        this.totals.mergeBytesWritten += compacted.bytesWritten;
        this.logger.info({ sources: compacted.sources.length, rows: compacted.origins.length, shard: compacted.entry.id }, 'adopted compacted shard');
      }
    }
    const now = Date.now();
    if (!this.merging && !state.layoutChanged && state.model && now >= this.nextMergeAt) this.startMerge(state);
    if (!this.retaining && state.version > 0 && now >= this.nextRetentionAt) {
      this.nextRetentionAt = now + this.retentionIntervalMs;
      const live = new Set([...state.shards, ...(state.build?.rows.shards ?? [])].map((shard) => shard.id));
      this.retaining = this.retention
        .run(state.version, live)
        .then((outcome) => {
          if (outcome.deletedObjects > 0) this.logger.info(outcome, 'retention deleted unreferenced objects');
        })
        .catch((error: unknown) => {
          this.nextRetentionAt = Date.now() + FAILURE_BACKOFF_MS;
          this.logger.error({ err: error }, 'retention failed');
        })
        .finally(() => (this.retaining = undefined));
    }
  }

  private startMerge(state: CollectionState): void {
    const sources = planCompaction(state.shards, this.compaction);
    if (sources.length === 0 || !state.model) return;
    this.merging = compactShards(this.store, state.collection, sources, state.model.dim, state.version + 1)
      .then((compacted) => (this.finished = compacted))
      .catch((error: unknown) => {
        this.nextMergeAt = Date.now() + FAILURE_BACKOFF_MS;
        this.logger.error({ err: error }, 'compaction failed');
        return undefined;
      })
      .finally(() => (this.merging = undefined));
  }

  /** Lets background work settle (tests, shutdown); their results are dropped with the state. */
  async settle(): Promise<void> {
    await Promise.allSettled([this.merging, this.retaining]);
  }
}
