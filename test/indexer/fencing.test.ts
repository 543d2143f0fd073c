import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { createRedisKeys, INDEXER_CONSUMER_GROUP } from '@audio-index/shared';
import { LeaderLock } from '../../apps/indexer/src/leader-lock.ts';
import { LostLeadershipError } from '../../apps/indexer/src/lost-leadership-error.ts';
import { SnapshotCommit } from '../../apps/indexer/src/snapshot-commit.ts';
import { StreamReader } from '../../apps/indexer/src/stream-reader.ts';
import { closeAll, connectTestRedis, uniqueName } from '../harness/test-services.ts';

describe('fencing: a deposed leader changes nothing (real Redis)', () => {
  afterAll(closeAll);

  it('refuses the commit and the reads of a leader whose lock was taken over', async () => {
    const redis = connectTestRedis();
    const keys = createRedisKeys(uniqueName('fence').slice(0, 32).replace(/-+$/, ''));
    const collection = 'c';
    const lockKey = keys.indexerLock(collection);
    const streamKey = keys.stream(collection);
    const commit = new SnapshotCommit(redis, keys, collection);

    const oldLeader = new LeaderLock(redis, lockKey, keys.indexerFence(collection), 1000);
    const oldFence = await oldLeader.tryAcquire();
    expect(oldFence).toBeDefined();
    const oldToken = oldLeader.heldToken!;
    const oldReader = new StreamReader(connectTestRedis(), streamKey, lockKey, () => oldToken, '0-0');
    await oldReader.ensureGroup();
    const entryIds = [await redis.xadd(streamKey, '*', 'op', 'delete', 'id', 'a'), await redis.xadd(streamKey, '*', 'op', 'delete', 'id', 'b')];
    expect((await oldReader.read(10, 0)).map((entry) => entry.id)).toEqual(entryIds);

    // The old leader stalls past its lease (no renewals reach Redis); another process takes over.
    await oldLeader.release();
    const newLeader = new LeaderLock(redis, lockKey, keys.indexerFence(collection), 1000);
    const newFence = await newLeader.tryAcquire();
    expect(newFence).toBeGreaterThan(oldFence!);

    const newerEntry = await redis.xadd(streamKey, '*', 'op', 'delete', 'id', 'c');
    await expect(oldReader.read(10, 0)).rejects.toBeInstanceOf(LostLeadershipError);
    expect(await commit.commit(oldToken, 1, entryIds as string[], new Map())).toBe('fenced');
    expect(await commit.committedVersion()).toBeUndefined();
    expect(await redis.xlen(streamKey)).toBe(3);

    // The new leader replays what the old one read but never acked, then reads the rest.
    const newReader = new StreamReader(connectTestRedis(), streamKey, lockKey, () => newLeader.heldToken, '0-0');
    expect((await newReader.read(10, 0)).map((entry) => entry.id)).toEqual(entryIds);
    expect((await newReader.read(10, 0)).map((entry) => entry.id)).toEqual([newerEntry]);
    expect(await commit.commit(newLeader.heldToken!, 1, [...(entryIds as string[]), newerEntry!], new Map())).toBe('committed');
    expect(await commit.committedVersion()).toBe(1);
    expect(await redis.xlen(streamKey)).toBe(0);
    expect((await redis.xpending(streamKey, INDEXER_CONSUMER_GROUP))[0]).toBe(0);
    // Versions only move forward, even for the rightful leader.
    expect(await commit.commit(newLeader.heldToken!, 1, [], new Map())).toBe('version-not-newer');
    await newLeader.release();
    await sleep(0);
  });

  it('hands out each version number once, never below the floor', async () => {
    const redis = connectTestRedis();
    const keys = createRedisKeys(uniqueName('ver').slice(0, 32).replace(/-+$/, ''));
    const commit = new SnapshotCommit(redis, keys, 'c');
    expect(await commit.allocateVersion(5)).toBe(6);
    expect(await commit.allocateVersion(5)).toBe(7);
    expect(await commit.allocateVersion(0)).toBe(8);
    expect(await commit.allocateVersion(20)).toBe(21);
  });
});
