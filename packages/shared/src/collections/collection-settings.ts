import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';
import type { SettingsClaim } from '../queue/batch-ledger.ts';
import { LuaScript } from '../queue/lua-script.ts';
import type { RedisKeys } from '../redis-keys.ts';
import { segmentationSchema, type Segmentation } from '../snapshot/manifest.ts';

/**
 * Segment length and hop when neither the request nor the config says (docs/segments.md).
 * Chosen in bench/segments (RESULTS.md, offline sweep and end to end, same numbers): 2.5 s
 * every 1.25 s was the only setting of eight that met every target, 5-second excerpts
 * under 20 dB noise still finding their recording 0.94 and their place within 2.5 s 0.92.
 * A 5-second excerpt is then three query segments that vote on one offset; with 5 s
 * segments it is one, and a neighbouring segment 2.5 s away often wins (0.73-0.82 placed).
 * It costs 2,880 rows (2.8 MiB) per hour, twice 5/2.5, for the same embedding work.
 */
export const DEFAULT_SEGMENTATION: Segmentation = { segmentSeconds: 2.5, hopSeconds: 1.25 };

const settingsForJobScript = LuaScript.fromFile(new URL('./lua/settings-for-job.lua', import.meta.url));

/**
 * How long a worker keeps a batch's settings. A batch belongs to one life of its collection
 * (batch ids are never reused, and a deleted collection's batches go with it), and settings
 * never change in place within one life, so a copy is never wrong for its batch, even when the
 * name is reused; the limit only bounds what a worker keeps, with `CACHE_LIMIT`.
 */
const CACHE_MS = 30_000;
const CACHE_LIMIT = 1_000;

/**
 * The owner of a collection's settings record (key `collectionSettings`): how its
 * recordings are cut into segments. Fixed by the writer that creates the collection (SET NX,
 * with its first batch: `claim`), never changed in place, so every worker cuts a
 * collection's recordings alike. Workers read it per job (`forJob`), together with the
 * proof that the job's collection still exists (docs/segments.md, "Settings").
 */
export class CollectionSettings {
  /** By batch (`forJob`): see CACHE_MS. */
  private readonly cache = new Map<string, { value: Segmentation; at: number }>();

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    /** What a collection gets when its first writer asks for nothing in particular. */
    private readonly defaults: Segmentation = DEFAULT_SEGMENTATION,
  ) {}

  /**
   * The collection's segmentation, fixing it to `requested` (else the defaults) if it has none
   * yet. Asking for other settings than a collection already has is refused: its rows would
   * stop lining up with its queries. No service calls this now: the accept fixes the record
   * in the step that records its batch (`claim`, BatchLedger.createBatch), so a delete cannot
   * come between the two; this is the same rule for a writer that records no batch.
   */
  async fix(collection: string, requested?: Segmentation): Promise<Segmentation> {
    const wanted = requested ?? this.defaults;
    const key = this.keys.collectionSettings(collection);
    const stored = await this.redis.set(key, JSON.stringify({ segmentation: wanted }), 'NX', 'GET');
    const current = stored === null ? wanted : parseSettings(stored, collection);
    if (requested && !sameSegmentation(requested, current)) throw mismatch(collection, current, requested);
    return current;
  }

  /** What an accept asks of the record: `requested`, else the defaults when there is none. */
  claim(requested?: Segmentation): SettingsClaim {
    return { record: JSON.stringify({ segmentation: requested ?? this.defaults }), requested };
  }

  /**
   * The segmentation an accept's batch was recorded with (`created`), or SEGMENTATION_MISMATCH
   * when the record held other settings and nothing was recorded.
   */
  settled(collection: string, claim: SettingsClaim, outcome: { created: boolean; settings: string | undefined }): Segmentation {
    const current = parseSettings(outcome.settings ?? claim.record, collection);
    if (!outcome.created && claim.requested) throw mismatch(collection, current, claim.requested);
    return current;
  }

  /**
   * Whether the name has a settings record. One without a collection is what an accept that
   * died between recording its batch and its name leaves: DELETE /v1/collections/:c removes it.
   */
  async has(collection: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.collectionSettings(collection))) === 1;
  }

  /**
   * What a worker cuts a job's recording with; `undefined` when the job's batch is gone or its
   * collection is being deleted (a stale job: its outcome has nowhere to go, as
   * record-embedded.lua would refuse it). Never writes a record for a collection that is gone
   * (settings-for-job.lua). Cached per batch.
   */
  async forJob(collection: string, batchId: string): Promise<Segmentation | undefined> {
    const cacheKey = `${collection}\n${batchId}`;
    const now = Date.now();
    const cached = this.cache.get(cacheKey);
    if (cached && now - cached.at < CACHE_MS) return cached.value;
    const text = await settingsForJobScript.run(
      this.redis,
      [this.keys.collectionSettings(collection), this.keys.batch(collection, batchId), this.keys.collectionDeleting(collection)],
      [JSON.stringify({ segmentation: this.defaults })],
    );
    if (text === null) {
      this.cache.delete(cacheKey);
      return undefined;
    }
    const value = parseSettings(String(text), collection);
    this.remember(cacheKey, value, now);
    return value;
  }

  /** Oldest first (a Map iterates in insertion order): expired entries, then any over the limit. */
  private remember(cacheKey: string, value: Segmentation, now: number): void {
    this.cache.delete(cacheKey);
    this.cache.set(cacheKey, { value, at: now });
    for (const [key, entry] of this.cache) {
      if (now - entry.at < CACHE_MS && this.cache.size <= CACHE_LIMIT) break;
      this.cache.delete(key);
    }
  }
}

function parseSettings(text: string, collection: string): Segmentation {
  const parsed = segmentationSchema.safeParse((JSON.parse(text) as { segmentation?: unknown }).segmentation);
  if (!parsed.success) throw new Error(`settings of collection ${collection} are unreadable: ${text}`);
  return parsed.data;
}

function mismatch(collection: string, current: Segmentation, requested: Segmentation): AppError {
  return new AppError(
    'SEGMENTATION_MISMATCH',
    `collection ${collection} cuts recordings into ${describe(current)}; asked for ${describe(requested)} ` +
      '(if GET /v1/collections/:c answers 404, an interrupted request left these settings: DELETE the name to free it)',
    { details: { collection, segmentation: current, requested } },
  );
}

const sameSegmentation = (a: Segmentation, b: Segmentation) => a.segmentSeconds === b.segmentSeconds && a.hopSeconds === b.hopSeconds;
const describe = (value: Segmentation) => `${value.segmentSeconds} s segments every ${value.hopSeconds} s`;
