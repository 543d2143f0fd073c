import { rm } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { RunningService } from './running-service.ts';
import { makeRunnerTempDir } from './runner-temp-dirs.ts';
import { captureOutputTail, hasExited, spawnOwnedChild, stopChild } from './owned-child-process.ts';

const REDIS_SERVER_BINARY = 'redis-server';
const READY_TIMEOUT_MS = 15_000;
// Another process can take the probed port before redis-server binds it; a retry is cheaper
// than making the race impossible (redis-server cannot report a kernel-chosen port).
const PORT_ATTEMPTS = 5;

export async function startLocalRedisServer(): Promise<RunningService<string>> {
  const dataDir = await makeRunnerTempDir('redis');
  let lastError: unknown;
  for (let attempt = 1; attempt <= PORT_ATTEMPTS; attempt++) {
    const port = await findFreePort();
    const child = spawnOwnedChild(REDIS_SERVER_BINARY, [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dataDir,
      // BullMQ refuses to run (warns loudly) under an evicting policy; match production.
      '--maxmemory-policy',
      'noeviction',
    ]);
    const outputTail = captureOutputTail(child);
    const spawnError = new Promise<never>((_, reject) => child.once('error', reject));
    try {
      await Promise.race([waitForPong(port, () => hasExited(child)), spawnError]);
      return {
        connection: `redis://127.0.0.1:${port}`,
        description: `redis-server pid ${child.pid} on 127.0.0.1:${port}`,
        stop: async () => {
          await stopChild(child);
          await rm(dataDir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      await stopChild(child);
      lastError = new Error(`redis-server on port ${port} did not start: ${outputTail() || String(error)}`, { cause: error });
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') break;
    }
  }
  await rm(dataDir, { recursive: true, force: true });
  throw lastError;
}

export async function findFreePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('could not read a free TCP port');
  return address.port;
}

async function waitForPong(port: number, serverHasExited: () => boolean): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (serverHasExited()) throw new Error('redis-server exited before answering PING');
    if (await answersPing(port)) return;
    await sleep(25);
  }
  throw new Error(`redis-server did not answer PING within ${READY_TIMEOUT_MS} ms`);
}

/**
 * A raw RESP PING: ioredis would queue and retry on its own and hide when the port is ready.
 * Only +PONG counts: Redis answers -LOADING while it replays its AOF.
 */
export function answersPing(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let reply = '';
    const finish = (answered: boolean) => {
      socket.destroy();
      resolve(answered);
    };
    socket.setTimeout(1_000, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}
