import type { Redis } from 'ioredis';
import { INDEXER_CONSUMER_GROUP } from '@audio-index/shared';

export interface RawStreamEntry {
  id: string;
  fields: Buffer[];
}

/** The leader always reads as this consumer, so a new leader inherits the old one's pending entries. */
const LEADER_CONSUMER = 'leader';

/**
 * Reads a collection stream through the indexer's consumer group: first the entries
 * delivered before but never acknowledged (a crashed leader's), then new ones.
 */
export class StreamReader {
  private replayingPending = true;
  /** Reading pending entries from an id returns those after it; they stay pending until acked. */
  private pendingCursor = '0';

  constructor(
    private readonly redis: Redis,
    private readonly streamKey: string,
  ) {}

  async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.streamKey, INDEXER_CONSUMER_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
  }

  async read(count: number, blockMs: number): Promise<RawStreamEntry[]> {
    const startId = this.replayingPending ? this.pendingCursor : '>';
    // callBuffer: the string variant would decode (and corrupt) the float32 vector bytes.
    const reply = (await this.redis.callBuffer(
      'XREADGROUP',
      'GROUP',
      INDEXER_CONSUMER_GROUP,
      LEADER_CONSUMER,
      'COUNT',
      count,
      ...(this.replayingPending ? [] : ['BLOCK', Math.max(1, Math.floor(blockMs))]),
      'STREAMS',
      this.streamKey,
      startId,
    )) as [Buffer, [Buffer, Buffer[]][]][] | null;
    const entries = (reply?.[0]?.[1] ?? []).map(([id, fields]) => ({ id: id.toString(), fields }));
    if (this.replayingPending) {
      const last = entries.at(-1);
      if (last) this.pendingCursor = last.id;
      else this.replayingPending = false; // caught up with what earlier leaders left unacked
    }
    return entries;
  }
}
