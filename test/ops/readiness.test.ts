import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppProcess } from '../support/app-processes.ts';
import { RestartableRedis } from '../support/restartable-services.ts';

/** Issue 15 item 5: a real API process whose own Redis is killed and started again. */
describe('/readyz names the failing dependency and /metrics exports its up/down gauge', () => {
  let redis: RestartableRedis;
  let api: AppProcess;
  let directory: string;

  beforeAll(async () => {
    redis = await RestartableRedis.start();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'ops-readiness-'));
    api = await startApp('api', {
      REDIS_URL: redis.url,
      REDIS_NAMESPACE: 'readiness',
      STORE_URL: `file://${directory}/store`,
      SHARD_CACHE_DIR: path.join(directory, 'cache'),
    });
  });

  afterAll(async () => {
    await api?.kill();
    await redis?.close();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  const readyz = async () => {
    const response = await fetch(`${api.url}/readyz`, { signal: AbortSignal.timeout(5_000) });
    return {
      status: response.status,
      body: (await response.json()) as { status?: string; error?: { code: string; message: string; details: { failing: string[] } } },
    };
  };
  const redisUpGauge = async () => {
    const started = Date.now();
    const text = await (await fetch(`${api.url}/metrics`, { signal: AbortSignal.timeout(10_000) })).text();
    return { value: /^audio_index_dependency_up\{dependency="redis"\} (\d)$/m.exec(text)?.[1], ms: Date.now() - started };
  };
  const eventually = async <T>(probe: () => Promise<T>, done: (value: T) => boolean, what: string): Promise<T> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const value = await probe();
      if (done(value)) return value;
      if (Date.now() > deadline) throw new Error(`${what}: last ${JSON.stringify(value)}`);
      await sleep(200);
    }
  };

  it('ready with Redis up; 503 naming redis when it is gone; ready again when it is back', async () => {
    await eventually(readyz, (answer) => answer.status === 200, 'ready at start');
    expect((await redisUpGauge()).value).toBe('1');

    await redis.halt();
    const down = await eventually(readyz, (answer) => answer.status === 503, 'not ready without Redis');
    expect(down.body.error?.code).toBe('NOT_READY');
    expect(down.body.error?.details.failing).toEqual(['redis']);
    expect(down.body.error?.message).toMatch(/^redis: unreachable \(.+\)$/);
    // The scrape still answers promptly: Redis-backed gauges give up, the dependency gauge says why.
    const gauge = await eventually(redisUpGauge, (sample) => sample.value === '0', 'redis gauge 0');
    expect(gauge.ms).toBeLessThan(5_000);

    await redis.resume();
    await eventually(readyz, (answer) => answer.status === 200, 'ready after Redis is back');
    expect((await redisUpGauge()).value).toBe('1');
    expect(api.output()).toContain('redis reachable again after');
  }, 90_000);
});
