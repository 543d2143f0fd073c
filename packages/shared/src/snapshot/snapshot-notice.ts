import type { Redis } from 'ioredis';
import { z } from 'zod';
import { collectionNameSchema } from '../names.ts';
import type { RedisKeys } from '../redis-keys.ts';

/**
 * What the indexer tells API instances on the snapshot channel (docs/redis-keys.md): a
 * collection published `version`, or (no version) was deleted. A hint only: pub/sub loses
 * messages across reconnects, so readers also poll.
 */
export const snapshotNoticeSchema = z.object({
  collection: collectionNameSchema,
  version: z.number().int().positive().optional(),
});

export type SnapshotNotice = z.infer<typeof snapshotNoticeSchema>;

export function encodeSnapshotNotice(notice: SnapshotNotice): string {
  return JSON.stringify(snapshotNoticeSchema.parse(notice));
}

/** `undefined` for a message that is not a notice (another writer on the channel, an old format). */
export function decodeSnapshotNotice(message: string): SnapshotNotice | undefined {
  try {
    const parsed = snapshotNoticeSchema.safeParse(JSON.parse(message));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The owner of the snapshot channel: publishing and subscribing, through the codec above. */
export class SnapshotNotices {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async publish(notice: SnapshotNotice): Promise<void> {
    await this.redis.publish(this.keys.snapshotChannel, encodeSnapshotNotice(notice));
  }

  /**
   * Subscribes `subscriber` (a connection of its own: it can do nothing else once subscribed)
   * and calls `onNotice` per notice; `onMalformed` gets messages the codec refuses.
   */
  async subscribe(subscriber: Redis, onNotice: (notice: SnapshotNotice) => void, onMalformed: (message: string) => void): Promise<void> {
    subscriber.on('message', (channel: string, message: string) => {
      if (channel !== this.keys.snapshotChannel) return;
      const notice = decodeSnapshotNotice(message);
      if (notice) onNotice(notice);
      else onMalformed(message);
    });
    await subscriber.subscribe(this.keys.snapshotChannel);
  }
}
