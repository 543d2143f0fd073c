import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';

export interface EmbeddedRedis {
  /** Whether this process started the server (and so stops it). */
  started: boolean;
  stop(): Promise<void>;
}

async function answersPing(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * The embedded default: use the Redis at `url` when one answers; otherwise, for a loopback
 * URL and an installed `redis-server`, start one with AOF on and `noeviction` (the settings
 * BullMQ needs) and data under `dataDirectory`.
 */
export async function ensureRedis(url: string, dataDirectory: string): Promise<EmbeddedRedis> {
  if (await answersPing(url)) return { started: false, stop: async () => undefined };
  const parsed = new URL(url);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(parsed.hostname);
  const installed = spawnSync('redis-server', ['--version']).status === 0;
  if (!loopback || !installed) {
    throw new Error(`no Redis answers at ${url}${installed ? '' : ' and redis-server is not installed (run: npm run setup)'}`);
  }
  fs.mkdirSync(dataDirectory, { recursive: true });
  const child: ChildProcess = spawn(
    'redis-server',
    [
      '--port',
      parsed.port || '6379',
      '--bind',
      '127.0.0.1',
      '--dir',
      path.resolve(dataDirectory),
      '--appendonly',
      'yes',
      '--maxmemory-policy',
      'noeviction',
      '--save',
      '',
    ],
    { stdio: 'ignore' },
  );
  for (let attempt = 0; attempt < 100; attempt += 1) {
    if (await answersPing(url)) {
      return {
        started: true,
        async stop() {
          child.kill('SIGTERM');
          await new Promise((resolve) => child.once('exit', resolve));
        },
      };
    }
    if (child.exitCode !== null) break;
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error(`redis-server did not start on ${url}`);
}
