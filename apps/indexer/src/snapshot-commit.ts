import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import {
  BatchLedger,
  decodeCollectionModel,
  DEFAULT_BATCH_RETENTION_SECONDS,
  INDEXER_CONSUMER_GROUP,
  LuaScript,
  type ItemFailure,
  type RedisKeys,
} from '@audio-index/shared';

/**
 * The commit point of a publish. One Lua script, so these happen together or not at all:
 * check that the caller still holds the leader lock (the fencing check), move the committed
 * version forward, ack and delete the stream entries the snapshot holds, and queue their
 * batch credits to be applied once LATEST names the version (`creditServed`).
 *
 * Why here and not at LATEST: the object store cannot make a write conditional on a token
 * (s3rver ignores If-None-Match), so a deposed leader paused between "am I leader?" and
 * "PUT LATEST" could publish. Redis can: a deposed leader's script finds another token in
 * the lock and changes nothing. LATEST is written after the commit and only ever names a
 * committed version; the leader repairs it from the committed version (latest-pointer.ts).
 *
 * Idempotent: every commit carries an id of its own, recorded by the script. The same commit
 * arriving again (ioredis re-sends an unanswered command after a reconnect; the leader
 * retries a commit whose answer it never got) finds its id and returns 2 without changing
 * anything, so no entry is credited twice and the version it committed stays the one adopted.
 * Only the last id is kept: a leader has at most one commit in flight per collection.
 */
const commitSnapshotScript = LuaScript.fromFile(new URL('./lua/commit-snapshot.lua', import.meta.url));
/**
 * Applies queued credits, oldest first, exactly once (credit-served-snapshot.lua); batches it
 * finishes start their retention clock there.
 */
const creditServedScript = LuaScript.fromFile(new URL('./lua/credit-served-snapshot.lua', import.meta.url));
// Allocates max(counter, floor) + 1: a floor from the store covers a Redis that lost the counter.
const allocateVersionScript = LuaScript.fromFile(new URL('./lua/allocate-snapshot-version.lua', import.meta.url));

export interface BatchCredit {
  indexed: number;
  failures: ItemFailure[];
  /** Reindex batches: added to the total (items found to re-embed). */
  total?: number;
  /** Reindex batches: re-embedded vectors applied to the generation being built. */
  built?: number;
  /** Reindex batches: the total is final. */
  listingDone?: boolean;
  /** Reindex batches: the generation is served now; `indexed` becomes `built`. */
  promote?: boolean;
  /** Reindex batches: ended before completion; what has no outcome yet counts as failed. */
  abandon?: boolean;
}

/** Redis changes that go with a commit besides the stream and the batches. */
export interface CommitExtras {
  /** Ends the collection's active reindex, if it is this one. */
  releaseReindex?: string | undefined;
  /**
   * The model new items are embedded with: `encodeCollectionModel({id, ref})` to set, null to
   * clear, undefined to leave. Checked here with the codec its readers use (collection-model.ts).
   */
  collectionModel?: string | null | undefined;
}

/** `replayed`: this very commit had been applied already (its first answer was lost). */
export type CommitOutcome = 'committed' | 'replayed' | 'fenced' | 'version-not-newer';

type QueuedCredit = Omit<BatchCredit, 'failures'> & { batch: string; failures: string[] };

/** Credits applied per script call: bounds the script's run time and argument size. */
const CREDIT_PAGE = 100;

/** A fresh id for one commit; retries of that commit reuse it. */
export function newCommitId(fence: number, version: number): string {
  return `${fence}:${version}:${randomBytes(6).toString('hex')}`;
}

export interface SnapshotCommitOptions {
  /** How long a batch the served credits finish keeps its keys (BATCH_RETENTION_SECONDS). */
  batchRetentionSeconds?: number;
}

export class SnapshotCommit {
  private readonly ledger: BatchLedger;
  private readonly batchRetentionSeconds: number;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly collection: string,
    options: SnapshotCommitOptions = {},
  ) {
    this.batchRetentionSeconds = options.batchRetentionSeconds ?? DEFAULT_BATCH_RETENTION_SECONDS;
    this.ledger = new BatchLedger(redis, keys, { retentionSeconds: this.batchRetentionSeconds });
  }

  /** The committed version, or `undefined` when this Redis never saw a commit. */
  async committedVersion(): Promise<number | undefined> {
    const value = await this.redis.get(this.keys.snapshotCommitted(this.collection));
    return value === null ? undefined : Number(value);
  }

  /** A version number no other publish, by this leader or any other, will use. */
  async allocateVersion(floor: number): Promise<number> {
    return Number(await allocateVersionScript.run(this.redis, [this.keys.snapshotVersionCounter(this.collection)], [floor]));
  }

  /**
   * Commits `version` (0: acknowledge only, for entries that changed nothing) and acks
   * `entryIds`, if and only if `lockToken` still holds the leader lock. Sending the same
   * `commitId` again is safe: it answers `replayed` once the first one was applied.
   */
  async commit(
    lockToken: string,
    version: number,
    entryIds: readonly string[],
    credits: ReadonlyMap<string, BatchCredit>,
    extras: CommitExtras = {},
    commitId: string = newCommitId(0, version),
  ): Promise<CommitOutcome> {
    const { keys, collection } = this;
    const creditList: QueuedCredit[] = [];
    for (const [batchId, credit] of credits) {
      creditList.push({ ...credit, batch: batchId, failures: credit.failures.map((failure) => JSON.stringify(failure)) });
    }
    if (typeof extras.collectionModel === 'string') decodeCollectionModel(extras.collectionModel, collection);
    const commitKeys = [
      keys.indexerLock(collection),
      keys.snapshotCommitted(collection),
      keys.snapshotVersions(collection),
      keys.stream(collection),
      keys.reindexActive(collection),
      keys.collectionModel(collection),
      keys.snapshotLastCommit(collection),
      keys.servedCredits(collection),
    ];
    const answer = await commitSnapshotScript.run(this.redis, commitKeys, [
      commitId,
      lockToken,
      version,
      INDEXER_CONSUMER_GROUP,
      entryIds.length,
      ...entryIds,
      // cjson encodes an empty Lua table as {}, so an empty list must still arrive as a list
      creditList.length ? JSON.stringify(creditList) : '[]',
      extras.releaseReindex ?? '',
      extras.collectionModel === null ? '-' : (extras.collectionModel ?? ''),
    ]);
    if (answer === 1) return 'committed';
    if (answer === 2) return 'replayed';
    return answer === -1 ? 'fenced' : 'version-not-newer';
  }

  /**
   * Applies the batch credits of every commit up to `servedVersion` (the version LATEST names
   * now), oldest first; returns how many commits' credits it applied. Safe to call from any
   * leader at any time: each queued credit is applied once.
   */
  async creditServed(servedVersion: number): Promise<number> {
    const listKey = this.keys.servedCredits(this.collection);
    let applied = 0;
    let conflicts = 0;
    for (;;) {
      const head = await this.redis.lrange(listKey, 0, CREDIT_PAGE - 1);
      const due: string[] = [];
      const batchKeys: string[] = [];
      for (const line of head) {
        const entry = JSON.parse(line) as { version: number; credits: QueuedCredit[] };
        if (entry.version > servedVersion) break;
        due.push(line);
        for (const credit of entry.credits) {
          batchKeys.push(this.keys.batch(this.collection, credit.batch), this.keys.batchFailures(this.collection, credit.batch));
        }
      }
      if (due.length === 0) return applied;
      const [done, ...finished] = (await creditServedScript.run(this.redis, [listKey, ...batchKeys], [due.length, ...due, this.batchRetentionSeconds])) as [
        number,
        ...string[],
      ];
      await this.ledger.expireLookups(finished);
      applied += done;
      // 0: another caller applied them first; re-read what is left (a few times at most).
      if (done === 0 && ++conflicts > 3) return applied;
    }
  }
}
