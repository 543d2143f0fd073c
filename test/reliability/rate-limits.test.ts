import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, connectTestRedis, createTestBucket, testServiceEnv, uniqueName } from '../harness/test-services.ts';
import { apiClient } from '../support/app-processes.ts';
import { ProcessSystem } from '../support/process-system.ts';

const LIMIT = 8;

/**
 * Issue 11, item 10: the budget belongs to the verified key, whatever the spelling of its
 * Authorization header, is spent across API replicas (counters in Redis), and requests with a
 * wrong or no key spend their client address's budget (guessing keys ends in 429s), while a
 * valid key from that address keeps its own. Two API processes on the harness's Redis.
 */
describe('rate limits per verified key and per address, shared by API replicas (2 api processes, real Redis)', () => {
  let system: ProcessSystem;

  beforeAll(async () => {
    const { bucket } = await createTestBucket('rate-limits');
    system = await ProcessSystem.start({
      services: testServiceEnv(),
      bucket,
      namespace: uniqueName('rl').slice(0, 24),
      apis: 2,
      workers: 0,
      indexer: false,
      env: { RATE_LIMIT_PER_MINUTE: String(LIMIT) },
    });
  }, 180_000);

  afterAll(async () => {
    await system?.stop();
    await closeAll();
  });

  it('header variants share one bucket across replicas; 401s count per address; another key keeps its budget', { timeout: 60_000 }, async () => {
    const [first, second] = system.apis.map((api) => apiClient(() => api.url!, undefined));
    const key = system.key;
    // Each is the same key; a limiter keyed on the raw header gave each its own bucket.
    const spellings = [
      `Bearer ${key}`,
      `bearer ${key}`,
      `BEARER ${key}`,
      `Bearer  ${key}`,
      `Bearer ${key} `,
      ` Bearer\t${key}`,
      `bEaReR ${key}`,
      `Bearer   ${key}`,
    ];
    const statuses: number[] = [];
    for (const [index, authorization] of spellings.entries()) {
      const replica = index % 2 === 0 ? first! : second!;
      statuses.push((await replica('GET', '/v1/collections', { headers: { authorization } })).status);
    }
    expect(statuses).toEqual(Array.from({ length: LIMIT }, () => 200));
    for (const replica of [first!, second!]) {
      const over = await replica<{ error: { code: string } }>('GET', '/v1/collections', { headers: { authorization: `Bearer ${key}` } });
      expect([over.status, over.body.error.code]).toEqual([429, 'RATE_LIMITED']);
      expect(Number(over.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }

    // Wrong keys and none: the address's budget, on both replicas together.
    const guesses: number[] = [];
    for (let index = 0; index < LIMIT + 2; index += 1) {
      const replica = index % 2 === 0 ? first! : second!;
      const headers: Record<string, string> = index % 3 === 0 ? {} : { authorization: `Bearer guess-${index}` };
      guesses.push((await replica('GET', '/v1/collections', { headers })).status);
    }
    expect(guesses).toEqual([...Array.from({ length: LIMIT }, () => 401), 429, 429]);

    // The other configured key, from the same address, has a budget of its own.
    const other = await second!('GET', '/v1/collections', { headers: { authorization: `Bearer second-key-${system.options.namespace}` } });
    expect(other.status).toBe(200);

    // The counters are in Redis under the namespace, never the key itself.
    const redis = connectTestRedis();
    const counters = await redis.keys(`${system.keys.rateLimitPrefix}*`);
    expect(counters.length).toBeGreaterThanOrEqual(3);
    expect(counters.join(' ')).not.toContain(key);
    expect(counters.some((name) => name.endsWith('ip:127.0.0.1'))).toBe(true);
    expect(system.crashes()).toEqual([]);
  });
});
