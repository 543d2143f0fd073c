import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import { loadApiConfig, startApi, type RunningApi } from '@audio-index/api';
import { loadIndexerConfig, startIndexer } from '@audio-index/indexer';
import { loadWorkerConfig, startWorker } from '@audio-index/worker';
import { testServiceEnv, uniqueName } from '../harness/test-services.ts';

export interface RunningSystem {
  api: RunningApi;
  /** JSON over real HTTP; returns status and parsed body. */
  call<T = unknown>(method: string, route: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: T }>;
  stop(): Promise<void>;
}

/**
 * api, worker and indexer in this process, against the harness's real Redis and S3, with
 * a Redis namespace of their own so parallel test files never share a queue or a stream.
 */
export async function startSystem(options: { bucket: string; env?: Record<string, string> }): Promise<RunningSystem> {
  const services = testServiceEnv();
  // The AWS SDK takes credentials from the standard chain, as in production.
  process.env.AWS_ACCESS_KEY_ID = services.AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = services.AWS_SECRET_ACCESS_KEY;
  const env: NodeJS.ProcessEnv = {
    ...services,
    STORE_URL: `s3://${options.bucket}/snapshots`,
    REDIS_NAMESPACE: uniqueName('ns').slice(0, 32).replace(/-+$/, ''),
    PORT: '0',
    LOG_LEVEL: 'warn',
    ALLOW_PRIVATE_NETWORKS: 'true',
    PUBLISH_INTERVAL_MS: '200',
    SNAPSHOT_POLL_INTERVAL_MS: '500',
    COLLECTION_DISCOVERY_INTERVAL_MS: '200',
    SHARD_CACHE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'shard-cache-')),
    ...options.env,
  };
  const indexer = await startIndexer(loadIndexerConfig(env));
  const worker = await startWorker(loadWorkerConfig(env));
  const apiConfig = loadApiConfig(env);
  const api = await startApi(apiConfig);
  const defaultKey = apiConfig.server.apiKeys[0];
  return {
    api,
    async call(method, route, body, headers = {}) {
      const response = await fetch(`${api.url}${route}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(defaultKey ? { authorization: `Bearer ${defaultKey}` } : {}),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, body: (text ? JSON.parse(text) : undefined) as never };
    },
    async stop() {
      await api.stop();
      await worker.stop();
      await indexer.stop();
    },
  };
}

export interface BatchView {
  batchId: string;
  total: number;
  embedded: number;
  failed: number;
  indexed: number;
  state: string;
  failures: { id: string; code: string; message: string }[];
}

export async function waitForBatch(system: RunningSystem, batchId: string, timeoutMs = 120_000): Promise<BatchView> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await system.call<BatchView>('GET', `/v1/batches/${batchId}`);
    if (body.state === 'done') return body;
    if (Date.now() > deadline) throw new Error(`batch ${batchId} not done in time: ${JSON.stringify(body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
