import { isStoreOutage, type Logger, type ObjectStore } from '@audio-index/shared';
import type { CollectionState } from './collection-state.ts';
import { pointLatestAt, repairLatest } from './latest-pointer.ts';
import type { LeaderLock } from './leader-lock.ts';
import { LostLeadershipError } from './lost-leadership-error.ts';
import type { SnapshotCommit } from './snapshot-commit.ts';

/** How often an idle leader checks that LATEST still names the committed version. */
const LATEST_CHECK_INTERVAL_MS = 10_000;

/**
 * A leader's upkeep of LATEST and of the batch credits that wait for it: LATEST is pointed at
 * the committed version right after each commit and checked now and then (a deposed leader
 * may have set it back, a crash may have left it behind); credits are applied once LATEST
 * names their version (docs/architecture.md §1, "Batch state": `indexed` counts items visible
 * in the served snapshot).
 */
export class LatestKeeper {
  private checkedAt = 0;
  private behind = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly collection: string,
    private readonly lock: LeaderLock,
    private readonly commit: SnapshotCommit,
    private readonly log: Logger,
  ) {}

  /** A new leadership checks LATEST at once: the last leader may have died between its commit and LATEST. */
  reset(): void {
    this.checkedAt = 0;
    this.behind = false;
  }

  /** Whether a commit is not yet named by LATEST. */
  get isBehind(): boolean {
    return this.behind;
  }

  /** After a commit: LATEST now lags it. */
  markBehind(): void {
    this.behind = true;
  }

  /** Applies the queued credits of served versions; never throws (the next check retries). */
  async creditServed(state: CollectionState): Promise<void> {
    try {
      const applied = await this.commit.creditServed(state.version);
      if (applied > 0) this.log.debug({ version: state.version, commits: applied }, 'credited batches of served versions');
    } catch (error) {
      // Never thrown into the publish: its entries are committed. The next LATEST check retries.
      this.log.error({ err: error }, 'crediting batches failed; will retry');
    }
  }

  /** Points LATEST at the committed version right after a commit, and checks it now and then. */
  async keepCurrent(state: CollectionState): Promise<void> {
    if (state.version === 0) return;
    const checkDue = Date.now() - this.checkedAt >= LATEST_CHECK_INTERVAL_MS;
    if (!this.behind && !checkDue) return;
    try {
      // Narrows the window in which a deposed leader could set LATEST back (latest-pointer.ts).
      if (!(await this.lock.isHeld())) throw new LostLeadershipError();
      if (this.behind) await pointLatestAt(this.store, this.collection, state.version);
      else if (await repairLatest(this.store, this.collection, state.version)) this.log.warn({ version: state.version }, 'repaired LATEST');
      this.behind = false;
      this.checkedAt = Date.now();
      await this.creditServed(state);
    } catch (error) {
      if (error instanceof LostLeadershipError) throw error;
      // Committed already; LATEST catches up once the store answers again.
      if (isStoreOutage(error)) this.log.debug({ err: error }, 'writing LATEST failed (store unreachable); will retry');
      else this.log.error({ err: error }, 'writing LATEST failed; will retry');
    }
  }
}
