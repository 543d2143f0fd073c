import type { Redis } from 'ioredis';
import { INDEXER_CONSUMER_GROUP, type RedisKeys } from '../redis-keys.ts';
import { LuaScript } from './lua-script.ts';
import { encodeStreamFields, type StreamOperation } from './stream-entry.ts';

const recordEmbeddedScript = LuaScript.fromFile(new URL('./lua/record-embedded.lua', import.meta.url));
const startReindexScript = LuaScript.fromFile(new URL('./lua/start-reindex.lua', import.meta.url));

/** How long a job's outcome marker outlives the job: longer than any retry schedule. */
export const OUTCOME_MARKER_TTL_SECONDS = 7 * 24 * 3600;

export type EmbeddedItem = Extract<StreamOperation, { op: 'upsert' }> & { batchId: string };
type DeleteOperation = Extract<StreamOperation, { op: 'delete' }>;
type ActivateOperation = Extract<StreamOperation, { op: 'activate' }>;
type ReindexOperation = Extract<StreamOperation, { op: 'reindex' }>;

/** `refused`: the batch is gone or the collection is being deleted (record-embedded.lua). */
export type UpsertAppend = { outcome: 'appended'; entryId: string } | { outcome: 'duplicate' } | { outcome: 'refused' };

/**
 * The owner of a collection's stream on the writing side (docs/redis-keys.md): every append
 * (upsert, delete, activate, reindex) goes through here, and so do the lengths the API reads
 * for backpressure and summaries. The indexer's consumer-group reads are in apps/indexer
 * (stream-reader.ts, stream-watcher.ts).
 */
export class CollectionStream {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /**
   * Appends an embedded item and counts it in its batch, in one step and once per `jobId`
   * (the job's outcome marker), unless its batch is gone or its collection is being deleted.
   */
  async appendUpsert(collection: string, jobId: string, operation: EmbeddedItem): Promise<UpsertAppend> {
    const reply = await recordEmbeddedScript.run(
      this.redis,
      [
        this.keys.jobOutcome(collection, jobId),
        this.keys.stream(collection),
        this.keys.batch(collection, operation.batchId),
        this.keys.collectionDeleting(collection),
      ],
      [OUTCOME_MARKER_TTL_SECONDS, ...encodeStreamFields(operation)],
    );
    if (typeof reply === 'string') return { outcome: 'appended', entryId: reply };
    return reply === 0 ? { outcome: 'duplicate' } : { outcome: 'refused' };
  }

  /** Appends a delete, an activate (rollback) or any other operation applied in stream order; returns the entry id. */
  async append(collection: string, operation: DeleteOperation | ActivateOperation): Promise<string> {
    const entryId = await this.redis.xadd(this.keys.stream(collection), '*', ...(encodeStreamFields(operation) as string[]));
    if (!entryId) throw new Error('XADD returned no id');
    return entryId;
  }

  /**
   * Appends a reindex request unless one is running (the active-reindex key, set in the same
   * step). Returns `started`, or the id of the reindex already running ('' if it just ended).
   */
  async appendReindex(collection: string, operation: ReindexOperation): Promise<{ started: true } | { started: false; running: string }> {
    const reply = await startReindexScript.run(
      this.redis,
      [this.keys.reindexActive(collection), this.keys.stream(collection)],
      [operation.reindexId, ...encodeStreamFields(operation)],
    );
    return reply === 1 ? { started: true } : { started: false, running: String(reply) };
  }

  /** The reindex id being built, if any. */
  async activeReindex(collection: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.reindexActive(collection))) ?? undefined;
  }

  /** Entries in the stream: not yet in a committed snapshot (the indexer deletes them then). */
  length(collection: string): Promise<number> {
    return this.redis.xlen(this.keys.stream(collection));
  }

  /** Entries the indexer has not applied: the consumer group's lag, or the whole stream before it exists. */
  async pendingEntries(collection: string): Promise<number> {
    const stream = this.keys.stream(collection);
    try {
      const groups = (await this.redis.xinfo('GROUPS', stream)) as unknown[][];
      for (const group of groups) {
        const fields = new Map<string, unknown>();
        for (let index = 0; index + 1 < group.length; index += 2) fields.set(String(group[index]), group[index + 1]);
        if (fields.get('name') !== INDEXER_CONSUMER_GROUP) continue;
        const lag = fields.get('lag');
        // lag is null when Redis cannot tell (after deletions in the stream); pending is a floor then.
        return Number(lag ?? 0) + Number(fields.get('pending') ?? 0);
      }
    } catch {
      // No stream yet: nothing pending.
      return 0;
    }
    return this.redis.xlen(stream);
  }
}
