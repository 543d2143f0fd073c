import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { answersPing } from '../harness/local-redis-server.ts';
import { findFreePort } from './app-processes.ts';

/**
 * A Redis and an S3 server of a test's own, that it may kill -9 and start again on the same
 * port with the same data, to play an outage without disturbing the shared harness services.
 * No vitest import: bench/ scripts use these as their services too.
 */
function ownedSpawn(command: string, args: string[]): ChildProcess {
  // setpriv --pdeathsig: the kernel kills the server if the test runner dies before teardown.
  const [file, argv] = existsSync('/usr/bin/setpriv') ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', command, ...args]] : [command, args];
  return spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
}

async function killHard(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGKILL');
  await exited;
}

export class RestartableRedis {
  private child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly directory: string,
    private readonly extraArgs: string[],
  ) {}

  /** AOF on, fsync every second, noeviction: the production settings (docker-compose.yml). */
  static async start(extraArgs: string[] = []): Promise<RestartableRedis> {
    const redis = new RestartableRedis(await findFreePort(), await fs.mkdtemp(path.join(os.tmpdir(), 'reliability-redis-')), extraArgs);
    await redis.resume();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async resume(): Promise<void> {
    const child = ownedSpawn('redis-server', [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.directory,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--save',
      '',
      '--maxmemory-policy',
      'noeviction',
      ...this.extraArgs,
    ]);
    this.child = child;
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`redis-server on ${this.port} exited at start`);
      if (await answersPing(this.port)) return;
      await sleep(50);
    }
    throw new Error(`redis-server on ${this.port} did not answer PING (loading the AOF?)`);
  }

  /**
   * kill -9: what was acknowledged survives, since Redis writes the AOF buffer to the file
   * before it sends replies (only an OS crash loses the last second with `everysec`).
   */
  async halt(): Promise<void> {
    await killHard(this.child);
  }

  async close(): Promise<void> {
    await this.halt();
    await fs.rm(this.directory, { recursive: true, force: true });
  }
}

const S3RVER_LISTENING = /S3rver listening on \S+:(\d+)/;

export class RestartableS3 {
  private child: ChildProcess | undefined;
  private port = 0;

  private constructor(private readonly directory: string) {}

  static async start(): Promise<RestartableS3> {
    const server = new RestartableS3(await fs.mkdtemp(path.join(os.tmpdir(), 'reliability-s3rver-')));
    await server.resume();
    return server;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** REDIS_URL aside, what an app needs to use this server (s3rver takes only these keys). */
  env(): Record<string, string> {
    return {
      S3_ENDPOINT: this.endpoint,
      S3_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: 'true',
      AWS_ACCESS_KEY_ID: 'S3RVER',
      AWS_SECRET_ACCESS_KEY: 'S3RVER',
      AWS_REGION: 'us-east-1',
    };
  }

  async createBucket(bucket: string): Promise<void> {
    const client = new S3Client({
      endpoint: this.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    try {
      await client.send(new CreateBucketCommand({ Bucket: bucket }));
    } finally {
      client.destroy();
    }
  }

  /** The first start picks a free port; later ones take the same port back. */
  async resume(): Promise<void> {
    const cli = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
    const child = ownedSpawn(process.execPath, [cli, '--directory', this.directory, '--address', '127.0.0.1', '--port', String(this.port), '--silent']);
    this.child = child;
    this.port = await new Promise<number>((resolve, reject) => {
      let printed = '';
      child.stdout?.on('data', (chunk: Buffer) => {
        printed += chunk.toString('utf8');
        const match = S3RVER_LISTENING.exec(printed);
        if (match) resolve(Number(match[1]));
      });
      child.stderr?.on('data', (chunk: Buffer) => {
        printed += chunk.toString('utf8');
      });
      child.once('exit', () => reject(new Error(`s3rver exited: ${printed}`)));
    });
  }

  /** Gone at once, as a crashed server: connections are refused until `resume()`. */
  async halt(): Promise<void> {
    await killHard(this.child);
  }

  async close(): Promise<void> {
    await this.halt();
    await fs.rm(this.directory, { recursive: true, force: true });
  }
}
