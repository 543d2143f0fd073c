import type { Redis } from 'ioredis';
import { AppError } from '../errors.ts';
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

/** How long a worker trusts its copy: settings never change in place, but a deleted collection's name can be reused. */
const CACHE_MS = 30_000;

/**
 * The owner of a collection's settings record (key `collectionSettings`): how its
 * recordings are cut into segments. Fixed by whoever writes to the collection first (SET NX),
 * never changed in place, so every worker cuts a collection's recordings alike.
 */
export class CollectionSettings {
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
   * stop lining up with its queries.
   */
  async fix(collection: string, requested?: Segmentation): Promise<Segmentation> {
    const wanted = requested ?? this.defaults;
    const key = this.keys.collectionSettings(collection);
    const stored = await this.redis.set(key, JSON.stringify({ segmentation: wanted }), 'NX', 'GET');
    const current = stored === null ? wanted : parseSettings(stored, collection);
    if (requested && !sameSegmentation(requested, current)) {
      throw new AppError('SEGMENTATION_MISMATCH', `collection ${collection} cuts recordings into ${describe(current)}; asked for ${describe(requested)}`, {
        details: { collection, segmentation: current, requested },
      });
    }
    this.cache.set(collection, { value: current, at: Date.now() });
    return current;
  }

  /** As `fix` with no request, cached: what a worker cuts the collection's recordings with. */
  async forCollection(collection: string): Promise<Segmentation> {
    const cached = this.cache.get(collection);
    if (cached && Date.now() - cached.at < CACHE_MS) return cached.value;
    return this.fix(collection);
  }
}

function parseSettings(text: string, collection: string): Segmentation {
  const parsed = segmentationSchema.safeParse((JSON.parse(text) as { segmentation?: unknown }).segmentation);
  if (!parsed.success) throw new Error(`settings of collection ${collection} are unreadable: ${text}`);
  return parsed.data;
}

const sameSegmentation = (a: Segmentation, b: Segmentation) => a.segmentSeconds === b.segmentSeconds && a.hopSeconds === b.hopSeconds;
const describe = (value: Segmentation) => `${value.segmentSeconds} s segments every ${value.hopSeconds} s`;
