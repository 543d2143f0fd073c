import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, createTestBucket, testServiceEnv, uniqueName } from '../harness/test-services.ts';
import { ProcessSystem } from '../support/process-system.ts';
import { RestartableRedis } from '../support/restartable-services.ts';
import { waitFor } from './support/recovery-check.ts';

interface ErrorBody {
  error?: { code: string };
}

/** Well under the 10 s a client here waits; a hanging request (the bug) fails the test by timing out. */
const BOUND_MS = 2_500;
const COMMAND_TIMEOUT_MS = 800;

/**
 * Issue 11, item 9: with Redis killed, or alive but not answering (SIGSTOP), every request
 * that needs Redis answers 503 NOT_READY within a bounded time, and so does /readyz; nothing
 * hangs until the client gives up. The API is a real process on a redis-server of the test's own.
 */
describe('Redis unreachable: API answers 503 NOT_READY fast (api process, own redis-server)', () => {
  let redis: RestartableRedis;
  let system: ProcessSystem;
  let redisPid: number;
  const collection = uniqueName('outage');

  beforeAll(async () => {
    redis = await RestartableRedis.start();
    const { bucket } = await createTestBucket('redis-outage');
    const services = testServiceEnv();
    system = await ProcessSystem.start({
      services: { ...services, REDIS_URL: redis.url },
      bucket,
      namespace: uniqueName('ro').slice(0, 24),
      workers: 0,
      indexer: false,
      env: { REDIS_COMMAND_TIMEOUT_MS: String(COMMAND_TIMEOUT_MS) },
    });
    const probe = new Redis(redis.url);
    redisPid = Number(/process_id:(\d+)/.exec(await probe.info('server'))![1]);
    probe.disconnect();
  }, 120_000);

  afterAll(async () => {
    try {
      if (redisPid) process.kill(redisPid, 'SIGCONT'); // a failed assertion must not leave it stopped
    } catch {
      // already gone
    }
    await system?.stop();
    await redis?.close();
    await closeAll();
  });

  /** Routes that read or write Redis, each timed. */
  async function timedAnswers(): Promise<{ route: string; status: number; code: string | undefined; ms: number }[]> {
    const routes: [string, string, unknown?][] = [
      ['GET', '/readyz'],
      ['GET', '/v1/collections'],
      ['GET', `/v1/collections/${collection}`],
      ['GET', '/v1/batches/b-unknown'],
      ['POST', '/v1/ingest', { collection, items: [{ url: 'https://example.org/a.wav' }] }],
      ['POST', `/v1/collections/${collection}/vectors`, { items: [{ id: 'v', vector: [1, 0, 0] }] }],
    ];
    const answers = [];
    for (const [method, route, body] of routes) {
      const started = Date.now();
      const answer = await system.call<ErrorBody>(method, route, { body, timeoutMs: 10_000 });
      answers.push({ route: `${method} ${route}`, status: answer.status, code: answer.body?.error?.code, ms: Date.now() - started });
    }
    return answers;
  }

  function expectFastNotReady(answers: Awaited<ReturnType<typeof timedAnswers>>): void {
    for (const answer of answers) {
      expect({ route: answer.route, status: answer.status, code: answer.code }).toEqual({ route: answer.route, status: 503, code: 'NOT_READY' });
      expect(answer.ms, answer.route).toBeLessThan(BOUND_MS);
    }
  }

  it('answers NOT_READY within the bound while Redis is stopped or killed, and serves again once it is back', { timeout: 120_000 }, async () => {
    expect((await system.call('GET', '/readyz')).status).toBe(200);
    expect((await system.call('GET', '/v1/collections')).status).toBe(200);

    // Alive but not answering: the TCP connection stays up, only the command timeout helps.
    process.kill(redisPid, 'SIGSTOP');
    const stuck = await timedAnswers();
    expectFastNotReady(stuck);
    expect((await system.call('GET', '/healthz')).status).toBe(200);
    // Search reads the store, not Redis: it still answers (the rate limit's Redis counter is
    // skipped while it fails), within the same bound.
    const started = Date.now();
    const search = await system.call<ErrorBody>('POST', '/v1/search', {
      body: { collection: uniqueName('unloaded'), k: 1, query: { vector: [1, 0, 0] } },
      timeoutMs: 10_000,
    });
    expect([search.status, search.body.error?.code]).toEqual([404, 'COLLECTION_NOT_FOUND']);
    expect(Date.now() - started).toBeLessThan(BOUND_MS);
    process.kill(redisPid, 'SIGCONT');
    await waitFor(async () => (await system.call('GET', '/v1/collections')).status === 200, 'Redis answering again', 20_000);

    // Gone: the connection is refused, commands fail at once (no offline queue).
    await redis.halt();
    const gone = await timedAnswers();
    expectFastNotReady(gone);
    const retry = await system.call('GET', '/v1/collections');
    expect(Number(retry.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);

    await redis.resume();
    await waitFor(async () => (await system.call('GET', '/readyz')).status === 200, '/readyz ready again', 30_000);
    expect((await system.call('GET', '/v1/collections')).status).toBe(200);
    expect(system.crashes()).toEqual([]);
    console.log(JSON.stringify({ stuck, gone }));
  });
});
