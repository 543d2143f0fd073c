import { compareStreamIds, type ItemFailure } from '@audio-index/shared';
import type { BatchCredit, CommitExtras } from './snapshot-commit.ts';

/**
 * Stream entries applied to the in-memory state but not yet acknowledged. They are acked,
 * and their batches credited, in the same atomic step that commits the snapshot holding them.
 */
export class AppliedEntries {
  readonly entryIds: string[] = [];
  readonly credits = new Map<string, BatchCredit>();
  lastEntryId: string | undefined;
  firstAppliedAt: number | undefined;
  /** Goes with the commit (reindex start/end). */
  readonly extras: CommitExtras = {};
  /** The items these entries change, for the "served" log lines once LATEST names their version. */
  readonly items: { itemId: string; batchId: string | undefined; entryId: string; op: 'upsert' | 'delete' }[] = [];

  add(entryId: string): void {
    this.entryIds.push(entryId);
    if (!this.lastEntryId || compareStreamIds(entryId, this.lastEntryId) > 0) this.lastEntryId = entryId;
    this.firstAppliedAt ??= Date.now();
  }

  creditIndexed(batchId: string | undefined): void {
    if (batchId) this.creditOf(batchId).indexed += 1;
  }

  reject(batchId: string | undefined, failure: ItemFailure): void {
    if (batchId) this.creditOf(batchId).failures.push(failure);
  }

  /** A batch's credit, to add reindex counters to. */
  creditOf(batchId: string): BatchCredit {
    let credit = this.credits.get(batchId);
    if (!credit) this.credits.set(batchId, (credit = { indexed: 0, failures: [] }));
    return credit;
  }

  get size(): number {
    return this.entryIds.length;
  }
}
