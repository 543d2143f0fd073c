import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { INDEXER_CONSUMER_GROUP, type ItemFailure, type RedisKeys } from '@audio-index/shared';

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
const COMMIT_SNAPSHOT = `
if redis.call('GET', KEYS[7]) == ARGV[1] then return 2 end
if redis.call('GET', KEYS[1]) ~= ARGV[2] then return -1 end
local committed = tonumber(redis.call('GET', KEYS[2]) or '0')
local version = tonumber(ARGV[3])
if version > 0 then
  if version <= committed then return -2 end
  redis.call('SET', KEYS[2], version)
  redis.call('ZADD', KEYS[3], version, version)
  committed = version
end
local entryCount = tonumber(ARGV[5])
local chunk = 500
for first = 6, 5 + entryCount, chunk do
  local last = math.min(first + chunk - 1, 5 + entryCount)
  redis.call('XACK', KEYS[4], ARGV[4], unpack(ARGV, first, last))
  redis.call('XDEL', KEYS[4], unpack(ARGV, first, last))
end
local credits = ARGV[6 + entryCount]
if credits ~= '[]' then
  redis.call('RPUSH', KEYS[8], '{"version":' .. string.format('%d', committed) .. ',"credits":' .. credits .. '}')
end
local release = ARGV[7 + entryCount]
if release ~= '' and redis.call('GET', KEYS[5]) == release then redis.call('DEL', KEYS[5]) end
local model = ARGV[8 + entryCount]
if model == '-' then redis.call('DEL', KEYS[6]) elseif model ~= '' then redis.call('SET', KEYS[6], model) end
redis.call('SET', KEYS[7], ARGV[1])
return 1`;

/**
 * Applies queued credits, oldest first, exactly once: only if the list still starts with the
 * entries the caller read (another run applied them otherwise), then removes them. Batch
 * keys come in KEYS so the script declares everything it touches (one Cluster slot: the
 * collection's tag).
 */
const CREDIT_SERVED = `
local n = tonumber(ARGV[1])
local head = redis.call('LRANGE', KEYS[1], 0, n - 1)
if #head ~= n then return 0 end
for i = 1, n do if head[i] ~= ARGV[1 + i] then return 0 end end
local k = 2
for i = 1, n do
  local entry = cjson.decode(ARGV[1 + i])
  for _, credit in ipairs(entry.credits) do
    local batchKey = KEYS[k]
    local failuresKey = KEYS[k + 1]
    k = k + 2
    if credit.indexed > 0 then redis.call('HINCRBY', batchKey, 'indexed', credit.indexed) end
    if #credit.failures > 0 then
      redis.call('HINCRBY', batchKey, 'failed', #credit.failures)
      for _, failure in ipairs(credit.failures) do redis.call('RPUSH', failuresKey, failure) end
    end
    if credit.total and credit.total ~= 0 then redis.call('HINCRBY', batchKey, 'total', credit.total) end
    if credit.built and credit.built > 0 then redis.call('HINCRBY', batchKey, 'built', credit.built) end
    if credit.listingDone then redis.call('HSET', batchKey, 'listing', 'done') end
    if credit.promote then redis.call('HSET', batchKey, 'indexed', redis.call('HGET', batchKey, 'built') or '0') end
    if credit.abandon then
      local rest = tonumber(redis.call('HGET', batchKey, 'total') or '0') - tonumber(redis.call('HGET', batchKey, 'failed') or '0')
        - tonumber(redis.call('HGET', batchKey, 'indexed') or '0')
      if rest > 0 then redis.call('HINCRBY', batchKey, 'failed', rest) end
    end
  end
end
redis.call('LTRIM', KEYS[1], n, -1)
return n`;

// Allocates max(counter, floor) + 1: a floor from the store covers a Redis that lost the counter.
const ALLOCATE_VERSION = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
local floor = tonumber(ARGV[1])
if current < floor then redis.call('SET', KEYS[1], floor) end
return redis.call('INCR', KEYS[1])`;

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
  /** The model new items are embedded with: JSON `{id, ref}` to set, null to clear, undefined to leave. */
  collectionModel?: string | null | undefined;
}

/** `replayed`: this very commit had been applied already (its first answer was lost). */
export type CommitOutcome = 'committed' | 'replayed' | 'fenced' | 'version-not-newer';

type QueuedCredit = Omit<BatchCredit, 'failures'> & { batch: string; failures: string[] };

type CommitRedis = Redis & {
  commitSnapshot(...args: (string | number)[]): Promise<number>;
  creditServedSnapshot(...args: (string | number)[]): Promise<number>;
  allocateSnapshotVersion(...args: (string | number)[]): Promise<number>;
};

/** Credits applied per script call: bounds the script's run time and argument size. */
const CREDIT_PAGE = 100;

/** A fresh id for one commit; retries of that commit reuse it. */
export function newCommitId(fence: number, version: number): string {
  return `${fence}:${version}:${randomBytes(6).toString('hex')}`;
}

export class SnapshotCommit {
  private readonly redis: CommitRedis;

  constructor(
    redis: Redis,
    private readonly keys: RedisKeys,
    private readonly collection: string,
  ) {
    this.redis = redis as CommitRedis;
    if (!('commitSnapshot' in redis)) {
      redis.defineCommand('commitSnapshot', { lua: COMMIT_SNAPSHOT });
      redis.defineCommand('creditServedSnapshot', { lua: CREDIT_SERVED });
      redis.defineCommand('allocateSnapshotVersion', { numberOfKeys: 1, lua: ALLOCATE_VERSION });
    }
  }

  /** The committed version, or `undefined` when this Redis never saw a commit. */
  async committedVersion(): Promise<number | undefined> {
    const value = await this.redis.get(this.keys.snapshotCommitted(this.collection));
    return value === null ? undefined : Number(value);
  }

  /** A version number no other publish, by this leader or any other, will use. */
  async allocateVersion(floor: number): Promise<number> {
    return Number(await this.redis.allocateSnapshotVersion(this.keys.snapshotVersionCounter(this.collection), floor));
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
    const answer = await this.redis.commitSnapshot(
      commitKeys.length,
      ...commitKeys,
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
    );
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
      const done = Number(await this.redis.creditServedSnapshot(1 + batchKeys.length, listKey, ...batchKeys, due.length, ...due));
      applied += done;
      // 0: another caller applied them first; re-read what is left (a few times at most).
      if (done === 0 && ++conflicts > 3) return applied;
    }
  }
}
