import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';

const LISTENING_LINE = /S3rver listening on \S+:(\d+)/;

/**
 * An s3rver of the test's own that can be stopped and started again on the same port with
 * the same data, to play an S3 outage without disturbing the harness's shared server.
 */
export class RestartableS3rver {
  private child: ChildProcess | undefined;
  private port = 0;

  private constructor(private readonly directory: string) {}

  static async start(): Promise<RestartableS3rver> {
    const server = new RestartableS3rver(await fs.mkdtemp(path.join(os.tmpdir(), 'indexer-s3rver-')));
    await server.resume();
    return server;
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async createBucket(bucket: string): Promise<void> {
    const client = new S3Client({
      endpoint: this.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
    client.destroy();
  }

  async resume(): Promise<void> {
    const cli = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
    const args = [cli, '--directory', this.directory, '--address', '127.0.0.1', '--port', String(this.port), '--silent'];
    const [file, argv] = existsSync('/usr/bin/setpriv')
      ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', process.execPath, ...args]]
      : [process.execPath, args];
    const child = spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child = child;
    this.port = await new Promise<number>((resolve, reject) => {
      let printed = '';
      child.stdout.on('data', (chunk: Buffer) => {
        printed += chunk.toString('utf8');
        const match = LISTENING_LINE.exec(printed);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', () => reject(new Error(`s3rver exited: ${printed}`)));
    });
  }

  /** Gone at once, as a crashed server: connections are refused until `resume()`. */
  async halt(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  async close(): Promise<void> {
    await this.halt();
    await fs.rm(this.directory, { recursive: true, force: true });
  }
}
