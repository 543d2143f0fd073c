import type { FastifyInstance, InjectOptions } from 'fastify';
import { composeApi } from '@audio-index/api';
import { apiTestConfig } from '../../support/api-test-config.ts';

export interface InjectedApi {
  /** Not listening: requests go through `inject`, Fastify's in-process request. */
  app: FastifyInstance;
  namespace: string;
  key: string;
  /** JSON bodies are encoded; `auth: false` sends no key. */
  call<T = unknown>(
    method: InjectOptions['method'],
    url: string,
    options?: { body?: unknown; headers?: Record<string, string>; auth?: boolean; remoteAddress?: string },
  ): Promise<{ status: number; body: T; headers: Record<string, unknown> }>;
  close(): Promise<void>;
}

/**
 * The API's whole HTTP surface (every hook, route and plugin startApi installs) on the
 * harness's Redis and S3, in this process. `beforeReady` adds test-only routes while the
 * instance still takes them.
 */
export async function injectedApi(bucket: string, env: Record<string, string> = {}, beforeReady?: (app: FastifyInstance) => void): Promise<InjectedApi> {
  // Quiet: the error tests make the API log every INTERNAL; one search thread is enough in process.
  const { config, namespace, key } = apiTestConfig(bucket, { LOG_LEVEL: 'silent', SEARCH_THREADS: '1', ...env });
  const api = await composeApi(config);
  beforeReady?.(api.app);
  await api.app.ready();
  return {
    app: api.app,
    namespace,
    key,
    async call(method, url, options = {}) {
      const { body, auth = true } = options;
      const response = await api.app.inject({
        method,
        url,
        ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
        headers: {
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
          ...(auth ? { authorization: `Bearer ${key}` } : {}),
          ...options.headers,
        },
        ...(body !== undefined ? { payload: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
      });
      let parsed: unknown = response.body;
      try {
        parsed = response.body ? JSON.parse(response.body) : undefined;
      } catch {
        // not JSON (metrics, docs HTML): keep the text
      }
      return { status: response.statusCode, body: parsed as never, headers: response.headers };
    },
    close: () => api.close(),
  };
}
