import type { ItemFailure } from '@audio-index/shared';

/**
 * Stream entries applied to the in-memory state but not yet acknowledged. They are acked,
 * and their batches credited, in one MULTI after the snapshot holding them is durable.
 */
export class AppliedEntries {
  readonly entryIds: string[] = [];
  readonly indexedByBatch = new Map<string, number>();
  readonly failures: { batchId: string; failure: ItemFailure }[] = [];
  lastEntryId: string | undefined;
  firstAppliedAt: number | undefined;

  add(entryId: string): void {
    this.entryIds.push(entryId);
    this.lastEntryId = entryId;
    this.firstAppliedAt ??= Date.now();
  }

  creditIndexed(batchId: string | undefined): void {
    if (batchId) this.indexedByBatch.set(batchId, (this.indexedByBatch.get(batchId) ?? 0) + 1);
  }

  reject(batchId: string | undefined, failure: ItemFailure): void {
    if (batchId) this.failures.push({ batchId, failure });
  }

  get size(): number {
    return this.entryIds.length;
  }
}
