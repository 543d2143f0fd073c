import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type AppProcess } from '../support/app-processes.ts';
import { RestartableRedis } from '../support/restartable-services.ts';

const run = promisify(execFile);
const cliPath = path.resolve('apps/cli/bin/audio-index.js');

interface DoctorReport {
  ok: boolean;
  checks: { name: string; status: 'ok' | 'warn' | 'fail' | 'skip'; detail: string; fix?: string }[];
}

/** Issue 15 item 4: doctor against a real API, Redis and store; then with the Redis killed. */
describe('audio-index doctor', () => {
  let redis: RestartableRedis;
  let api: AppProcess;
  let directory: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    redis = await RestartableRedis.start();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-doctor-'));
    env = { REDIS_URL: redis.url, REDIS_NAMESPACE: 'doctor', STORE_URL: `file://${directory}/store`, SHARD_CACHE_DIR: path.join(directory, 'cache') };
    api = await startApp('api', env);
  });

  afterAll(async () => {
    await api?.kill();
    await redis?.close();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  async function doctor(...args: string[]): Promise<{ code: number; stdout: string }> {
    const options = { timeout: 60_000, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env } };
    try {
      const { stdout } = await run('node', [cliPath, '--api', api.url!, ...args, 'doctor'], options);
      return { code: 0, stdout };
    } catch (error) {
      const failed = error as { code: number; stdout: string };
      return { code: failed.code, stdout: failed.stdout };
    }
  }

  it('on a healthy setup every check passes (warnings only for the machine), text and --json', async () => {
    const text = await doctor();
    expect(text.code, text.stdout).toBe(0);
    expect(text.stdout).toMatch(/^ok\s+redis\s+.*Redis \d+\.\d+.*maxmemory-policy noeviction, AOF on$/m);
    expect(text.stdout).toMatch(/^ok\s+api\s+.* ready; no collections yet$/m);

    const json = await doctor('--json');
    expect(json.code).toBe(0);
    const report = JSON.parse(json.stdout) as DoctorReport;
    expect(report.ok).toBe(true);
    expect(report.checks.map((check) => check.name)).toEqual(['node', 'redis', 'store', 'ffmpeg', 'model', 'faiss', 'blas', 'cuda', 'api']);
    const byName = Object.fromEntries(report.checks.map((check) => [check.name, check]));
    for (const name of ['redis', 'store', 'ffmpeg', 'model', 'api']) expect(byName[name]?.status, JSON.stringify(byName[name])).toBe('ok');
    expect(byName.faiss?.detail).toMatch(/AVX2|generic/);
    expect(byName.cuda?.status).toBe('skip');
    for (const check of report.checks) if (check.status === 'warn' || check.status === 'fail') expect(check.fix).toBeTruthy();
  });

  it('with Redis stopped: redis and the api fail with their fixes, exit 7, within seconds', async () => {
    await redis.halt();
    const started = Date.now();
    const json = await doctor('--json');
    expect(Date.now() - started).toBeLessThan(30_000);
    expect(json.code).toBe(7);
    const report = JSON.parse(json.stdout) as DoctorReport;
    expect(report.ok).toBe(false);
    const byName = Object.fromEntries(report.checks.map((check) => [check.name, check]));
    expect(byName.redis).toMatchObject({ status: 'fail', detail: expect.stringContaining('unreachable'), fix: expect.stringContaining('REDIS_URL') });
    expect(byName.api).toMatchObject({ status: 'fail', detail: expect.stringMatching(/not ready: redis: unreachable/) });
    expect(byName.store?.status).toBe('ok');
    await redis.resume();
  });
});
