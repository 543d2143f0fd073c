import type { Redis } from 'ioredis';
import { compareStreamIds, INDEXER_CONSUMER_GROUP, LuaScript } from '@audio-index/shared';
import { LostLeadershipError } from './lost-leadership-error.ts';
import type { StreamWatcher } from './stream-watcher.ts';

export interface RawStreamEntry {
  id: string;
  fields: Buffer[];
}

/** The leader always reads as this consumer, so a new leader inherits the old one's pending entries. */
const LEADER_CONSUMER = 'leader';

// New entries are handed out only to the lock holder, in the same atomic step as the check.
const readNewIfLeaderScript = LuaScript.fromFile(new URL('./lua/read-new-if-leader.lua', import.meta.url));

type StreamReply = [Buffer, [Buffer, Buffer[] | null][]][] | null;

/**
 * Reads a collection stream through the indexer's consumer group: first the entries
 * delivered before but never acknowledged (a crashed leader's), then new ones.
 */
export class StreamReader {
  private replayingPending = true;
  /** Reading pending entries from an id returns those after it; they stay pending until acked. */
  private pendingCursor = '0';
  /** Newest entry id handed to us; waiting for "anything newer" uses it. */
  private lastSeenId: string;

  constructor(
    private readonly redis: Redis,
    private readonly streamKey: string,
    private readonly lockKey: string,
    private readonly lockToken: () => string | undefined,
    startAfter: string,
    /** Shared by every collection of the process; without one, waiting blocks `redis` itself. */
    private readonly watcher?: StreamWatcher,
  ) {
    this.lastSeenId = startAfter;
  }

  async ensureGroup(): Promise<void> {
    try {
      await this.redis.xgroup('CREATE', this.streamKey, INDEXER_CONSUMER_GROUP, '0', 'MKSTREAM');
    } catch (error) {
      if (!String((error as Error).message).includes('BUSYGROUP')) throw error;
    }
  }

  async read(count: number, blockMs: number): Promise<RawStreamEntry[]> {
    if (this.replayingPending) {
      const entries = await this.readPending(count);
      if (entries.length > 0) return entries;
      this.replayingPending = false; // caught up with what earlier leaders left unacked
    }
    const entries = await this.readNew(count);
    if (entries.length > 0 || blockMs <= 0) return entries;
    // Wait on a plain XREAD, which delivers nothing to the group, then take entries fenced.
    if (this.watcher) await this.watcher.wait(this.streamKey, this.lastSeenId, Math.max(1, Math.floor(blockMs)));
    else await this.redis.xread('COUNT', 1, 'BLOCK', Math.max(1, Math.floor(blockMs)), 'STREAMS', this.streamKey, this.lastSeenId);
    return this.readNew(count);
  }

  private async readPending(count: number): Promise<RawStreamEntry[]> {
    // callBuffer: the string variant would decode (and corrupt) the float32 vector bytes.
    const reply = (await this.redis.callBuffer(
      'XREADGROUP',
      'GROUP',
      INDEXER_CONSUMER_GROUP,
      LEADER_CONSUMER,
      'COUNT',
      count,
      'STREAMS',
      this.streamKey,
      this.pendingCursor,
    )) as StreamReply;
    const entries = this.entriesOf(reply);
    const last = entries.at(-1);
    if (last) this.pendingCursor = last.id;
    return entries;
  }

  private async readNew(count: number): Promise<RawStreamEntry[]> {
    const token = this.lockToken();
    if (!token) throw new LostLeadershipError();
    const reply = (await readNewIfLeaderScript.runBuffer(
      this.redis,
      [this.lockKey, this.streamKey],
      [token, INDEXER_CONSUMER_GROUP, LEADER_CONSUMER, count],
    )) as StreamReply | number;
    if (typeof reply === 'number') throw new LostLeadershipError();
    return this.entriesOf(reply);
  }

  private entriesOf(reply: StreamReply): RawStreamEntry[] {
    // A pending entry deleted from the stream comes back with no fields: nothing to apply.
    const entries = (reply?.[0]?.[1] ?? []).map(([id, fields]) => ({ id: id.toString(), fields: fields ?? [] }));
    const last = entries.at(-1);
    if (last && compareStreamIds(last.id, this.lastSeenId) > 0) this.lastSeenId = last.id;
    return entries;
  }
}
