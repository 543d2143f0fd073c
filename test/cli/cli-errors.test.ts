import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findFreePort, startApp, type AppProcess } from '../support/app-processes.ts';
import { RestartableRedis } from '../support/restartable-services.ts';

const run = promisify(execFile);
const cliPath = path.resolve('apps/cli/bin/audio-index.js');
const KEY = 'cli-errors-key';

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

async function cli(args: string[]): Promise<CliRun> {
  try {
    const { stdout, stderr } = await run('node', [cliPath, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** One line naming cause and fix, and no stack frame. */
function expectOneActionableLine(result: CliRun, code: number, text: RegExp): void {
  expect(result.code, result.stderr).toBe(code);
  const lines = result.stderr.trimEnd().split('\n');
  expect(lines, result.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^audio-index: /);
  expect(lines[0]).toMatch(text);
  expect(result.stderr).not.toMatch(/^\s+at /m);
}

/** Issue 15 item 3, against a real API process (with API_KEYS) and a real Redis. */
describe('CLI failures are one line with the cause and the fix, and a documented exit code', () => {
  let redis: RestartableRedis;
  let api: AppProcess;
  let directory: string;

  beforeAll(async () => {
    redis = await RestartableRedis.start();
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-errors-'));
    api = await startApp('api', {
      REDIS_URL: redis.url,
      REDIS_NAMESPACE: 'clierrors',
      STORE_URL: `file://${directory}/store`,
      SHARD_CACHE_DIR: path.join(directory, 'cache'),
      API_KEYS: KEY,
    });
  });

  afterAll(async () => {
    await api?.kill();
    await redis?.close();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  const withApi = (...args: string[]) => ['--api', api.url!, '--key', KEY, ...args];

  it('a missing file: exit 1, names the path and what to check', async () => {
    const missing = path.join(directory, 'no-such-clip.wav');
    expectOneActionableLine(await cli(withApi('search', missing)), 1, new RegExp(`no such file: ${missing} \\(check the path`));
  });

  it('a directory where a file was expected: exit 1, points at ingest for directories', async () => {
    expectOneActionableLine(await cli(withApi('search', directory)), 1, /is a directory, not a file .*audio-index ingest <directory>/);
  });

  it('an API that is not running: exit 5, says how to start it or where to point', async () => {
    const nobody = `http://127.0.0.1:${await findFreePort()}`;
    expectOneActionableLine(await cli(['--api', nobody, 'collections']), 5, /cannot reach the API at .*ECONNREFUSED.*npm start.*--api/);
  });

  it('401 without a key and with a wrong one: exit 6, says which flag or variable', async () => {
    expectOneActionableLine(await cli(['--api', api.url!, 'collections']), 6, /UNAUTHORIZED: the API needs a key: pass --key <key> or set AUDIO_INDEX_API_KEY/);
    expectOneActionableLine(await cli(['--api', api.url!, '--key', 'wrong', 'collections']), 6, /UNAUTHORIZED: the key given was refused/);
  });

  it('an unknown collection: exit 2, the API code and how to list collections', async () => {
    expectOneActionableLine(
      await cli(withApi('snapshots', 'no-such-collection')),
      2,
      /COLLECTION_NOT_FOUND: .*`audio-index collections` lists the collections/,
    );
  });

  it('--json gives the same failure as one JSON object on stdout', async () => {
    const result = await cli(withApi('--json', 'search', directory));
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({ error: { code: 'IS_A_DIRECTORY', message: expect.stringContaining('is a directory') } });
  });

  it('--debug adds the stack trace, and only then', async () => {
    const result = await cli(withApi('--debug', 'search', path.join(directory, 'missing.wav')));
    expect(result.code).toBe(1);
    expect(result.stderr.split('\n')[0]).toMatch(/^audio-index: no such file/);
    expect(result.stderr).toMatch(/^\s+at /m);
  });
});
