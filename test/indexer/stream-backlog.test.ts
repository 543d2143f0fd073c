import { afterAll, describe, expect, it } from 'vitest';
import { createRedisKeys, streamBacklog } from '@audio-index/shared';
import { closeAll, connectTestRedis, uniqueName } from '../harness/test-services.ts';

describe('streamBacklog (real Redis)', () => {
  afterAll(closeAll);

  it('counts unpublished stream entries and says when to refuse new work', async () => {
    const redis = connectTestRedis();
    const keys = createRedisKeys(uniqueName('bp').slice(0, 32).replace(/-+$/, ''));
    expect(await streamBacklog(redis, keys, 'c', 5)).toEqual({ entries: 0, limit: 5, overLimit: false, retryAfterSeconds: 0 });
    for (let index = 0; index < 5; index += 1) await redis.xadd(keys.stream('c'), '*', 'op', 'delete', 'id', String(index));
    const full = await streamBacklog(redis, keys, 'c', 5);
    expect(full).toMatchObject({ entries: 5, overLimit: true });
    expect(full.retryAfterSeconds).toBeGreaterThanOrEqual(1);
  });
});
