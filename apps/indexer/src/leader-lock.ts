import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LuaScript } from '@audio-index/shared';

// Both act only while the caller still owns the lock (a replaced leader cannot touch the new one's).
const renewIfOwnerScript = LuaScript.fromFile(new URL('./lua/renew-lock-if-owner.lua', import.meta.url));
const releaseIfOwnerScript = LuaScript.fromFile(new URL('./lua/release-lock-if-owner.lua', import.meta.url));

/**
 * A Redis lease with a fencing token: the token grows with every acquisition, so work done
 * under an older token is recognisably stale. `isHeld()` is checked right before anything
 * irreversible (writing LATEST, acking the stream).
 */
export class LeaderLock {
  private token: string | undefined;
  private renewTimer: NodeJS.Timeout | undefined;
  private lost = false;

  constructor(
    private readonly redis: Redis,
    private readonly lockKey: string,
    private readonly fenceKey: string,
    private readonly ttlMs: number,
  ) {}

  /** The lock value while held: the commit script accepts a commit only with this value. */
  get heldToken(): string | undefined {
    return this.lost ? undefined : this.token;
  }

  /** Tries once; returns the fencing token when this process became leader. */
  async tryAcquire(): Promise<number | undefined> {
    const fence = await this.redis.incr(this.fenceKey);
    const token = `${fence}:${randomUUID()}`;
    const acquired = await this.redis.set(this.lockKey, token, 'PX', this.ttlMs, 'NX');
    if (acquired !== 'OK') return undefined;
    this.token = token;
    this.lost = false;
    this.renewTimer = setInterval(() => void this.renew(), Math.max(200, Math.floor(this.ttlMs / 3)));
    this.renewTimer.unref();
    return fence;
  }

  private async renew(): Promise<void> {
    if (!this.token) return;
    try {
      const renewed = await renewIfOwnerScript.run(this.redis, [this.lockKey], [this.token, this.ttlMs]);
      if (renewed !== 1) this.markLost();
    } catch {
      // A Redis hiccup is not proof of loss; `isHeld()` asks Redis itself before any publish.
    }
  }

  private markLost(): void {
    this.lost = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
  }

  async isHeld(): Promise<boolean> {
    if (!this.token || this.lost) return false;
    const current = await this.redis.get(this.lockKey);
    if (current !== this.token) this.markLost();
    return current === this.token;
  }

  async release(): Promise<void> {
    if (this.renewTimer) clearInterval(this.renewTimer);
    if (this.token) await releaseIfOwnerScript.run(this.redis, [this.lockKey], [this.token]).catch(() => undefined);
    this.token = undefined;
  }
}
