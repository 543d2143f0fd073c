/**
 * Every Redis key the system uses, in one place, under one namespace (`REDIS_NAMESPACE`,
 * default `ai`) so several deployments, or parallel tests, can share one Redis.
 *
 * Keys that change together in one MULTI or Lua script (a collection's stream, its batch
 * counters, its outcome markers) share the `{<ns>.c.<collection>}` hash tag so they land in
 * one Redis Cluster slot. Global keys carry their own tag.
 *
 * Each key family has one owner class, the only code that sends it commands; docs/redis-keys.md
 * lists every family with its owner, slot and lifetime (test/structure/redis-owners.test.ts
 * checks the ownership).
 */
export function createRedisKeys(namespace = 'ai') {
  const collectionTag = (collection: string) => `${namespace}:{${namespace}.c.${collection}}`;
  const meta = `${namespace}:{${namespace}.meta}`;
  return {
    namespace,
    /** BullMQ `prefix` option: one hash tag for all queue keys, as Cluster requires. */
    queuePrefix: `{${namespace}.queue}`,

    /** Set of collection names that ever received an item. */
    collections: `${meta}:collections`,
    /**
     * Set of collections being deleted (`DELETE /v1/collections/:c`): the API takes no new items
     * for them; their indexer leader removes their store objects and keys, then the name.
     */
    collectionsDeleting: `${meta}:collections-deleting`,
    /** SCAN pattern of every key of one collection (they all share its tag); names are [a-z0-9-]. */
    collectionKeyPattern: (collection: string) => `${collectionTag(collection)}:*`,
    /**
     * batchId -> collection, so GET /v1/batches/:id finds the collection's tag. Expires with
     * its batch (BATCH_RETENTION_SECONDS after done), by a command of its own: another slot.
     */
    batchCollection: (batchId: string) => `${meta}:batch-collection:${batchId}`,
    /**
     * Prefix of the API's rate-limit counters (`key:<digest>` or `ip:<address>` follow), one
     * single-key counter each with the window as its TTL, shared by every API replica. Tagged
     * like every key (Cluster deployments audit for untagged keys); single-key commands only,
     * so sharing one slot costs nothing but that slot's share of request traffic.
     */
    rateLimitPrefix: `${namespace}:{${namespace}.rate-limit}:`,
    /** Pub/sub channel carrying `{collection, version}` whenever a snapshot is published. */
    snapshotChannel: `${namespace}:snapshots`,

    /** Vectors and deletes on their way to the indexer, in order. */
    stream: (collection: string) => `${collectionTag(collection)}:stream`,
    /**
     * Hash: total, embedded, failed, indexed, createdAt (reindex batches: built; listed
     * sources: listing, listedPages). Expires BATCH_RETENTION_SECONDS after the batch is done.
     */
    batch: (collection: string, batchId: string) => `${collectionTag(collection)}:batch:${batchId}`,
    /** List of JSON failure records for a batch; expires with the batch hash. */
    batchFailures: (collection: string, batchId: string) => `${collectionTag(collection)}:batch:${batchId}:failures`,
    /**
     * Marks that a job's outcome (embedded or failed) was recorded, so a job retried after a
     * crash between "recorded" and "completed" cannot count or append twice.
     */
    jobOutcome: (collection: string, jobId: string) => `${collectionTag(collection)}:outcome:${jobId}`,
    /** Leader lock for the collection's indexer; value is the fencing token. */
    indexerLock: (collection: string) => `${collectionTag(collection)}:indexer-lock`,
    /** Monotonic fencing-token counter. */
    indexerFence: (collection: string) => `${collectionTag(collection)}:indexer-fence`,
    /**
     * The committed snapshot version: set by the leader's commit script in the same atomic
     * step that acks the stream entries it holds, and only while the leader holds the lock.
     * Authoritative over LATEST in the store, which is written after it (and repaired from it).
     */
    snapshotCommitted: (collection: string) => `${collectionTag(collection)}:snapshot-committed`,
    /** Sorted set of committed snapshot versions (score = version), trimmed by retention. */
    snapshotVersions: (collection: string) => `${collectionTag(collection)}:snapshot-versions`,
    /**
     * The id of the last commit the commit script applied: a commit re-sent after its reply was
     * lost (ioredis re-sends on reconnect; the leader retries) finds its own id and changes nothing.
     */
    snapshotLastCommit: (collection: string) => `${collectionTag(collection)}:snapshot-last-commit`,
    /**
     * List of JSON `{version, credits}`: batch counters of committed entries, applied once
     * LATEST names `version` (docs/architecture.md §1, "Batch state": `indexed` counts what a served snapshot shows).
     */
    servedCredits: (collection: string) => `${collectionTag(collection)}:served-credits`,
    /** Hands out snapshot version numbers, so two leaders never write the same manifest key. */
    snapshotVersionCounter: (collection: string) => `${collectionTag(collection)}:snapshot-version-counter`,
    /** The reindex id being built; set (NX) by a reindex request, removed by the indexer when it ends. */
    reindexActive: (collection: string) => `${collectionTag(collection)}:reindex-active`,
    /**
     * JSON `{id, ref}`: the model new items of the collection are embedded with, when a
     * reindex moved it off the workers' configured one. Written by the indexer's commit.
     */
    collectionModel: (collection: string) => `${collectionTag(collection)}:model`,
    /**
     * Present while the collection is being deleted (set with `collectionsDeleting`, removed
     * when the drop ends): in the collection's slot, so the script recording an embedded item
     * can refuse to append for a collection being dropped (record-embedded.lua).
     */
    collectionDeleting: (collection: string) => `${collectionTag(collection)}:deleting`,
    /** JSON `{segmentation}`: how the collection cuts recordings into rows (collection-settings.ts). Set NX, never changed. */
    collectionSettings: (collection: string) => `${collectionTag(collection)}:settings`,
  };
}

export type RedisKeys = ReturnType<typeof createRedisKeys>;

export const INDEXER_CONSUMER_GROUP = 'indexer';
