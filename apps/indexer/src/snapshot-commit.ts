import type { Redis } from 'ioredis';
import { INDEXER_CONSUMER_GROUP, type ItemFailure, type RedisKeys } from '@audio-index/shared';

/**
 * The commit point of a publish. One Lua script, so these happen together or not at all:
 * check that the caller still holds the leader lock (the fencing check), move the committed
 * version forward, ack and delete the stream entries the snapshot holds, credit their batches.
 *
 * Why here and not at LATEST: the object store cannot make a write conditional on a token
 * (s3rver ignores If-None-Match), so a deposed leader paused between "am I leader?" and
 * "PUT LATEST" could publish. Redis can: a deposed leader's script finds another token in
 * the lock and changes nothing. LATEST is written after the commit and only ever names a
 * committed version; the leader repairs it from the committed version (latest-pointer.ts).
 */
const COMMIT_SNAPSHOT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
local version = tonumber(ARGV[2])
if version > 0 then
  local committed = tonumber(redis.call('GET', KEYS[2]) or '0')
  if version <= committed then return -2 end
  redis.call('SET', KEYS[2], version)
  redis.call('ZADD', KEYS[3], version, version)
end
local entryCount = tonumber(ARGV[4])
local chunk = 500
for first = 5, 4 + entryCount, chunk do
  local last = math.min(first + chunk - 1, 4 + entryCount)
  redis.call('XACK', KEYS[4], ARGV[3], unpack(ARGV, first, last))
  redis.call('XDEL', KEYS[4], unpack(ARGV, first, last))
end
local credits = cjson.decode(ARGV[5 + entryCount])
for index, credit in ipairs(credits) do
  local batchKey = KEYS[5 + index * 2]
  local failuresKey = KEYS[6 + index * 2]
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
local release = ARGV[6 + entryCount]
if release ~= '' and redis.call('GET', KEYS[5]) == release then redis.call('DEL', KEYS[5]) end
local model = ARGV[7 + entryCount]
if model == '-' then redis.call('DEL', KEYS[6]) elseif model ~= '' then redis.call('SET', KEYS[6], model) end
return 1`;

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

export type CommitOutcome = 'committed' | 'fenced' | 'version-not-newer';

type CommitRedis = Redis & {
  commitSnapshot(...args: (string | number)[]): Promise<number>;
  allocateSnapshotVersion(...args: (string | number)[]): Promise<number>;
};

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
   * `entryIds`, if and only if `lockToken` still holds the leader lock.
   */
  async commit(
    lockToken: string,
    version: number,
    entryIds: readonly string[],
    credits: ReadonlyMap<string, BatchCredit>,
    extras: CommitExtras = {},
  ): Promise<CommitOutcome> {
    const { keys, collection } = this;
    const batchKeys: string[] = [];
    const creditList: (Omit<BatchCredit, 'failures'> & { failures: string[] })[] = [];
    for (const [batchId, credit] of credits) {
      batchKeys.push(keys.batch(collection, batchId), keys.batchFailures(collection, batchId));
      creditList.push({ ...credit, failures: credit.failures.map((failure) => JSON.stringify(failure)) });
    }
    const fixedKeys = [
      keys.indexerLock(collection),
      keys.snapshotCommitted(collection),
      keys.snapshotVersions(collection),
      keys.stream(collection),
      keys.reindexActive(collection),
      keys.collectionModel(collection),
    ];
    const answer = await this.redis.commitSnapshot(
      fixedKeys.length + batchKeys.length,
      ...fixedKeys,
      ...batchKeys,
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
    return answer === -1 ? 'fenced' : 'version-not-newer';
  }
}
