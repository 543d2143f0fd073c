import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { createObjectStore, createRedisConnection, createRedisKeys, type BatchStatus, type ObjectStore, type RedisKeys } from '@audio-index/shared';

export type { BatchStatus };
import { apiClient, crashedApps, startApp, type ApiCall, type AppName, type AppProcess } from './app-processes.ts';

/** REDIS_URL plus the S3 and AWS variables (the harness's `testServiceEnv()`, or a bench's own). */
export interface ServiceEnv {
  REDIS_URL: string;
  S3_ENDPOINT: string;
  S3_REGION?: string;
  S3_FORCE_PATH_STYLE?: string;
  AWS_ACCESS_KEY_ID?: string;
  AWS_SECRET_ACCESS_KEY?: string;
  AWS_REGION?: string;
}

export interface ProcessSystemOptions {
  services: ServiceEnv;
  bucket: string;
  namespace: string;
  /** Overrides for every app. */
  env?: Record<string, string>;
  apis?: number;
  workers?: number;
  /** Start without an indexer (a test that starts it later). */
  indexer?: boolean;
  /** Output lines to keep whole, whatever else the processes print (see AppProcess.keptLines). */
  keepLines?: string[];
}

/**
 * api replicas, workers and one indexer, each a real process, sharing one Redis namespace and
 * one S3 bucket. Calls go round-robin over the API replicas that are up.
 */
export class ProcessSystem {
  readonly apis: AppProcess[] = [];
  readonly workers: AppProcess[] = [];
  indexers: AppProcess[] = [];
  /** Every process ever started here, killed ones included, for crash checks. */
  readonly everything: AppProcess[] = [];
  readonly key: string;
  readonly env: Record<string, string>;
  readonly store: ObjectStore;
  readonly keys: RedisKeys;
  readonly call: ApiCall;
  private nextApi = 0;
  private redisClient: Redis | undefined;

  private constructor(readonly options: ProcessSystemOptions) {
    this.key = `key-${options.namespace}`;
    this.env = {
      ...(Object.fromEntries(Object.entries(options.services).filter(([, value]) => value !== undefined)) as Record<string, string>),
      STORE_URL: `s3://${options.bucket}/snapshots`,
      REDIS_NAMESPACE: options.namespace,
      API_KEYS: `${this.key},second-key-${options.namespace}`,
      ALLOW_PRIVATE_NETWORKS: 'true',
      PUBLISH_INTERVAL_MS: '200',
      SNAPSHOT_POLL_INTERVAL_MS: '500',
      COLLECTION_DISCOVERY_INTERVAL_MS: '200',
      SEARCH_THREADS: '1',
      EMBED_THREADS: '1',
      WORKER_LOCK_DURATION_MS: '5000',
      LEADER_LOCK_TTL_MS: '3000',
      SHARD_CACHE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-shards-')),
      ...options.env,
    };
    this.store = createObjectStore(
      { url: this.env.STORE_URL!, endpoint: this.env.S3_ENDPOINT, region: this.env.S3_REGION ?? 'us-east-1', forcePathStyle: true },
      { accessKeyId: this.env.AWS_ACCESS_KEY_ID ?? 'S3RVER', secretAccessKey: this.env.AWS_SECRET_ACCESS_KEY ?? 'S3RVER' },
    );
    this.keys = createRedisKeys(options.namespace);
    this.call = apiClient(() => this.apiUrl(), this.key);
  }

  static async start(options: ProcessSystemOptions): Promise<ProcessSystem> {
    const system = new ProcessSystem(options);
    try {
      // Sequential: each start loads tsx and a model; on two busy cores in parallel is slower.
      if (options.indexer !== false) await system.startIndexer();
      for (let index = 0; index < (options.workers ?? 1); index += 1) await system.startWorker();
      for (let index = 0; index < (options.apis ?? 1); index += 1) await system.startApi();
    } catch (error) {
      await system.stop();
      throw error;
    }
    return system;
  }

  /** A Redis client on the system's Redis (Cluster URLs too), closed by `stop()`. */
  get redis(): Redis {
    if (!this.redisClient) {
      this.redisClient = createRedisConnection(this.env.REDIS_URL!, 'reliability-test');
      // Outage tests stop Redis on purpose; commands wait for the reconnect.
      this.redisClient.on('error', () => undefined);
    }
    return this.redisClient;
  }

  apiUrl(): string {
    const up = this.apis.filter((api) => api.running);
    if (up.length === 0) throw new Error('no API replica is running');
    this.nextApi = (this.nextApi + 1) % up.length;
    return up[this.nextApi]!.url!;
  }

  startApi(env: Record<string, string> = {}): Promise<AppProcess> {
    return this.launch('api', this.apis, env);
  }

  startWorker(env: Record<string, string> = {}): Promise<AppProcess> {
    return this.launch('worker', this.workers, env);
  }

  startIndexer(env: Record<string, string> = {}): Promise<AppProcess> {
    return this.launch('indexer', this.indexers, env);
  }

  private async launch(app: AppName, into: AppProcess[], env: Record<string, string>): Promise<AppProcess> {
    const started = await startApp(app, { ...this.env, ...env }, 60_000, this.options.keepLines);
    into.push(started);
    this.everything.push(started);
    return started;
  }

  /** Processes that died without being asked to. */
  crashes(): string[] {
    return crashedApps(this.everything);
  }

  async waitForBatch(batchId: string, timeoutMs = 120_000): Promise<BatchStatus> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const answer = await this.call<BatchStatus>('GET', `/v1/batches/${batchId}`);
        last = answer.body;
        if (answer.status === 200 && answer.body.state === 'done') return answer.body;
      } catch (error) {
        last = error; // an API replica restarting
      }
      if (Date.now() > deadline) throw new Error(`batch ${batchId} not done within ${timeoutMs} ms: ${JSON.stringify(last)?.slice(0, 500)}`);
      await sleep(250);
    }
  }

  async stop(): Promise<void> {
    // SIGTERM first: a clean stop is part of what the apps promise.
    await Promise.all([...this.apis, ...this.workers, ...this.indexers].map((app) => app.kill('SIGTERM')));
    this.redisClient?.disconnect();
    await this.store.close();
    fs.rmSync(this.env.SHARD_CACHE_DIR!, { recursive: true, force: true });
  }
}
