import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadApiConfig, startApi, type RunningApi } from '@audio-index/api';
import { createObjectStore, type ObjectStore } from '@audio-index/shared';
import { testServiceEnv, testS3Config, uniqueName } from '../../harness/test-services.ts';

export interface ApiUnderTest {
  api: RunningApi;
  store: ObjectStore;
  namespace: string;
  key: string;
  /** Real HTTP; JSON bodies are encoded unless a string or Buffer is given. */
  call<T = unknown>(method: string, route: string, options?: { body?: unknown; headers?: Record<string, string>; auth?: boolean }): Promise<{ status: number; body: T; headers: Headers }>;
  stop(): Promise<void>;
}

/** The API alone (no worker, no indexer) against the harness's Redis and S3, with a bearer key. */
export async function startApiUnderTest(bucket: string, env: Record<string, string> = {}): Promise<ApiUnderTest> {
  const services = testServiceEnv();
  process.env.AWS_ACCESS_KEY_ID = services.AWS_ACCESS_KEY_ID;
  process.env.AWS_SECRET_ACCESS_KEY = services.AWS_SECRET_ACCESS_KEY;
  const namespace = uniqueName('ns').slice(0, 32).replace(/-+$/, '');
  const key = `key-${uniqueName('k')}`;
  const config = loadApiConfig({
    ...services,
    STORE_URL: `s3://${bucket}/snapshots`,
    REDIS_NAMESPACE: namespace,
    PORT: '0',
    LOG_LEVEL: 'warn',
    API_KEYS: `${key},second-key`,
    SNAPSHOT_POLL_INTERVAL_MS: '60000',
    SEARCH_THREADS: '2',
    SHARD_CACHE_DIR: fs.mkdtempSync(path.join(os.tmpdir(), 'shard-cache-')),
    ...env,
  });
  const { accessKeyId, secretAccessKey } = testS3Config();
  const store = createObjectStore(config.store, { accessKeyId, secretAccessKey });
  const api = await startApi(config);
  return {
    api,
    store,
    namespace,
    key,
    async call(method, route, options = {}) {
      const { body, auth = true } = options;
      const encoded = body === undefined || typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
      const response = await fetch(`${api.url}${route}`, {
        method,
        headers: {
          ...(body !== undefined && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}),
          ...(auth ? { authorization: `Bearer ${key}` } : {}),
          ...options.headers,
        },
        body: encoded as string | Buffer | undefined,
      });
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON (metrics, docs HTML): keep the text
      }
      return { status: response.status, body: parsed as never, headers: response.headers };
    },
    async stop() {
      await api.stop();
      await store.close();
    },
  };
}
