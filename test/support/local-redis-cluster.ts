import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { findFreePort } from './app-processes.ts';

const run = promisify(execFile);

export interface LocalRedisCluster {
  ports: number[];
  /** For REDIS_URL: `redis+cluster://127.0.0.1:<first>?nodes=<the others>`. */
  url: string;
  stop(): Promise<void>;
}

/**
 * A Redis Cluster of `masters` masters, no replicas, on loopback ports: `redis-server
 * --cluster-enabled yes` per node, then `redis-cli --cluster create`. Used to prove every key
 * group the system touches in one command shares a hash tag (a cross-slot command fails here).
 */
export async function startLocalRedisCluster(masters = 3): Promise<LocalRedisCluster> {
  const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'reliability-cluster-'));
  const children: ChildProcess[] = [];
  const ports: number[] = [];
  const stop = async () => {
    await Promise.all(
      children.map(async (child) => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = once(child, 'exit');
        child.kill('SIGKILL');
        await exited;
      }),
    );
    await fs.rm(directory, { recursive: true, force: true });
  };
  try {
    for (let index = 0; index < masters; index += 1) {
      // Cluster nodes also listen on port + 10000 (the bus); pick ports whose bus port is free too.
      let port = await findFreePort();
      while (port + 10_000 > 65_535) port = await findFreePort();
      const nodeDirectory = path.join(directory, String(port));
      await fs.mkdir(nodeDirectory);
      const args = [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--dir',
        nodeDirectory,
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        'nodes.conf',
        '--cluster-node-timeout',
        '5000',
        '--appendonly',
        'no',
        '--save',
        '',
        '--maxmemory-policy',
        'noeviction',
      ];
      const [file, argv] = existsSync('/usr/bin/setpriv')
        ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', 'redis-server', ...args]]
        : ['redis-server', args];
      children.push(spawn(file, argv, { stdio: 'ignore' }));
      ports.push(port);
    }
    for (const port of ports) await waitForPing(port);
    await run('redis-cli', ['--cluster', 'create', ...ports.map((port) => `127.0.0.1:${port}`), '--cluster-replicas', '0', '--cluster-yes']);
    for (const port of ports) await waitForClusterOk(port);
  } catch (error) {
    await stop();
    throw error;
  }
  const [first, ...others] = ports;
  return { ports, url: `redis+cluster://127.0.0.1:${first}?nodes=${others.map((port) => `127.0.0.1:${port}`).join(',')}`, stop };
}

async function waitForPing(port: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const answer = await run('redis-cli', ['-p', String(port), 'ping']).catch(() => undefined);
    if (answer?.stdout.trim() === 'PONG') return;
    await sleep(50);
  }
  throw new Error(`redis cluster node ${port} did not answer PING`);
}

async function waitForClusterOk(port: number): Promise<void> {
  for (let attempt = 0; attempt < 300; attempt += 1) {
    const answer = await run('redis-cli', ['-p', String(port), 'cluster', 'info']).catch(() => undefined);
    if (answer?.stdout.includes('cluster_state:ok')) return;
    await sleep(100);
  }
  throw new Error(`redis cluster node ${port} never reported cluster_state:ok`);
}
