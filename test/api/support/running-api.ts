import { startApi, type RunningApi } from '@audio-index/api';
import { createObjectStore, type ObjectStore } from '@audio-index/shared';
import { testS3Config } from '../../harness/test-services.ts';
import { apiTestConfig } from './api-test-config.ts';

export interface ApiUnderTest {
  api: RunningApi;
  store: ObjectStore;
  namespace: string;
  key: string;
  /** Real HTTP; JSON bodies are encoded unless a string or Buffer is given. */
  call<T = unknown>(
    method: string,
    route: string,
    options?: { body?: unknown; headers?: Record<string, string>; auth?: boolean },
  ): Promise<{ status: number; body: T; headers: Headers }>;
  stop(): Promise<void>;
}

/** The API alone (no worker, no indexer) against the harness's Redis and S3, with a bearer key. */
export async function startApiUnderTest(bucket: string, env: Record<string, string> = {}): Promise<ApiUnderTest> {
  const { config, namespace, key } = apiTestConfig(bucket, env);
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
