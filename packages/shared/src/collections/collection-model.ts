import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { RedisKeys } from '../redis-keys.ts';

/**
 * The model new items of a collection are embedded with, when a reindex moved it off the
 * workers' configured one (key `collectionModel`, docs/redis-keys.md). Written by the
 * indexer's commit script (the JSON this codec encodes), read by workers.
 */
export const collectionModelRecordSchema = z.object({
  /** The model card's id (what manifests name). */
  id: z.string().min(1),
  /** What workers load it by: a built-in name or a card path. */
  ref: z.string().min(1),
});

export type CollectionModelRecord = z.infer<typeof collectionModelRecordSchema>;

export function encodeCollectionModel(record: CollectionModelRecord): string {
  return JSON.stringify(collectionModelRecordSchema.parse(record));
}

/** A record that does not parse is an error: embedding with a guessed model would mix models in one collection. */
export function decodeCollectionModel(text: string, collection: string): CollectionModelRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`model record of collection ${collection} is not JSON: ${text.slice(0, 200)}`);
  }
  const parsed = collectionModelRecordSchema.safeParse(json);
  if (!parsed.success) throw new Error(`model record of collection ${collection} is unreadable: ${text.slice(0, 200)}`);
  return parsed.data;
}

/** The reading side of the model record (its writer is the commit script, apps/indexer/src/lua/commit-snapshot.lua). */
export class CollectionModelRecords {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  /** `undefined`: the collection embeds with the workers' configured model. */
  async read(collection: string): Promise<CollectionModelRecord | undefined> {
    const text = await this.redis.get(this.keys.collectionModel(collection));
    return text === null ? undefined : decodeCollectionModel(text, collection);
  }
}
