import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { findFreePort, startApp, type AppProcess } from '../../test/support/app-processes.ts';
import { machineBusySeconds, processCpuSeconds } from './cpu-time.ts';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export type Layout = { kind: 'npm-start' } | { kind: 'processes'; workers: number };

/** Stages in the order an item passes them: the worker's, then the indexer's. */
export const STAGES = ['queue_wait', 'fetch', 'decode', 'embed', 'stream_append', 'publish', 'served'] as const;
export type Stage = (typeof STAGES)[number];

export interface SystemOutcome {
  seconds: number;
  indexed: number;
  failed: number;
  /** Mean seconds per observation of each stage (publish: per publish step), from the processes' /metrics. */
  stages: Partial<Record<Stage, number>>;
  publishes: number;
  /** CPU seconds the system's processes used while timed (with their ffmpeg children), and the whole machine's. */
  cpuSeconds: number;
  machineCpuSeconds: number;
}

interface Running {
  apiUrl: string;
  metricsUrls: string[];
  pids: number[];
  names: string[];
  stop(): Promise<void>;
}

/**
 * The system with default settings, timed from `POST /v1/ingest` to the batch's `state: done`
 * (every item indexed: in a snapshot LATEST names). `npm start` is scripts/start-all.ts, one
 * process; `processes` is api, indexer and `workers` worker processes, as compose runs them.
 * Only what the bench must set is set: Redis, namespace, store, ports, private addresses
 * (the files are served on 127.0.0.1), and the metrics ports.
 */
export async function systemRun(
  layout: Layout,
  urls: readonly string[],
  base: { redisUrl: string; scratch: string; tag: string; env?: Record<string, string> },
): Promise<SystemOutcome> {
  const store = path.join(base.scratch, `store-${base.tag}`);
  fs.mkdirSync(store, { recursive: true });
  const env: Record<string, string> = {
    REDIS_URL: base.redisUrl,
    REDIS_NAMESPACE: base.tag,
    STORE_URL: `file://${store}`,
    ALLOW_PRIVATE_NETWORKS: 'true',
    LOG_LEVEL: 'warn',
    ...base.env,
  };
  const running = layout.kind === 'npm-start' ? await startAll(env) : await startProcesses(env, layout.workers);
  try {
    const cpuOf = () => running.pids.reduce((sum, pid) => sum + processCpuSeconds(pid), 0);
    const [cpuBefore, machineBefore] = [cpuOf(), machineBusySeconds()];
    const cpuEach = running.pids.map(processCpuSeconds);
    const started = performance.now();
    const accepted = await postJson(`${running.apiUrl}/v1/ingest`, { collection: 'bench', items: urls.map((url, index) => ({ url, id: `r${index}` })) });
    const batchId = (accepted as { batchId: string }).batchId;
    for (;;) {
      const status = (await (await fetch(`${running.apiUrl}/v1/batches/${batchId}`)).json()) as { state: string; indexed: number; failed: number };
      if (status.state === 'done') {
        const seconds = (performance.now() - started) / 1000;
        const [cpuSeconds, machineCpuSeconds] = [cpuOf() - cpuBefore, machineBusySeconds() - machineBefore];
        console.log(
          `  CPU s by process: ${running.pids.map((pid, index) => `${running.names[index]} ${(processCpuSeconds(pid) - cpuEach[index]!).toFixed(1)}`).join(', ')}`,
        );
        const { stages, publishes } = await scrapeStages(running.metricsUrls);
        return { seconds, indexed: status.indexed, failed: status.failed, stages, publishes, cpuSeconds, machineCpuSeconds };
      }
      await sleep(50);
    }
  } finally {
    await running.stop();
  }
}

async function postJson(url: string, body: unknown): Promise<unknown> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await response.json();
  if (response.status !== 202) throw new Error(`POST ${url}: ${response.status} ${JSON.stringify(answer)}`);
  return answer;
}

async function startAll(env: Record<string, string>): Promise<Running> {
  const [port, workerMetrics, indexerMetrics] = [await findFreePort(), await findFreePort(), await findFreePort()];
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repositoryRoot, 'scripts/start-all.ts')], {
    cwd: repositoryRoot,
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/root',
      ...env,
      PORT: String(port),
      HOST: '127.0.0.1',
      WORKER_METRICS_PORT: String(workerMetrics),
      WORKER_METRICS_HOST: '127.0.0.1',
      INDEXER_METRICS_PORT: String(indexerMetrics),
      INDEXER_METRICS_HOST: '127.0.0.1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const deadline = Date.now() + 120_000;
  while (!output.includes('audio-index is up')) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`npm start did not come up:\n${output.slice(-3000)}`);
    await sleep(100);
  }
  return {
    apiUrl: `http://127.0.0.1:${port}`,
    metricsUrls: [`http://127.0.0.1:${workerMetrics}/metrics`, `http://127.0.0.1:${indexerMetrics}/metrics`],
    pids: [child.pid!],
    names: ['npm start'],
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

async function startProcesses(env: Record<string, string>, workers: number): Promise<Running> {
  const started: AppProcess[] = [];
  const metricsUrls: string[] = [];
  try {
    const indexerPort = await findFreePort();
    started.push(await startApp('indexer', { ...env, INDEXER_METRICS_PORT: String(indexerPort), INDEXER_METRICS_HOST: '127.0.0.1' }, 120_000));
    metricsUrls.push(`http://127.0.0.1:${indexerPort}/metrics`);
    for (let n = 0; n < workers; n++) {
      const workerPort = await findFreePort();
      started.push(await startApp('worker', { ...env, WORKER_METRICS_PORT: String(workerPort), WORKER_METRICS_HOST: '127.0.0.1' }, 120_000));
      metricsUrls.push(`http://127.0.0.1:${workerPort}/metrics`);
    }
    const api = await startApp('api', env, 120_000);
    started.push(api);
    return { apiUrl: api.url!, metricsUrls, pids: started.map((app) => app.pid), names: started.map((app) => app.app), stop: () => stopAll(started) };
  } catch (error) {
    await stopAll(started);
    throw error;
  }
}

async function stopAll(processes: AppProcess[]): Promise<void> {
  await Promise.all(processes.map((app) => app.kill('SIGTERM')));
}

/** Sums `audio_index_ingest_stage_seconds` over every process, per stage. */
async function scrapeStages(urls: string[]): Promise<{ stages: Partial<Record<Stage, number>>; publishes: number }> {
  const sum = new Map<string, number>();
  const count = new Map<string, number>();
  for (const url of urls) {
    const text = await (await fetch(url)).text();
    for (const match of text.matchAll(/^audio_index_ingest_stage_seconds_(sum|count)\{stage="([a-z_]+)"\} (\S+)$/gm)) {
      const into = match[1] === 'sum' ? sum : count;
      into.set(match[2]!, (into.get(match[2]!) ?? 0) + Number(match[3]));
    }
  }
  const stages: Partial<Record<Stage, number>> = {};
  for (const stage of STAGES) {
    const n = count.get(stage);
    if (n) stages[stage] = sum.get(stage)! / n;
  }
  return { stages, publishes: count.get('publish') ?? 0 };
}
