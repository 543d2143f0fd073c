import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadApiConfig, type ApiConfig } from '@audio-index/api';
import { testServiceEnv, uniqueName } from '../../harness/test-services.ts';

export interface ApiTestConfig {
  config: ApiConfig;
  /** This API's own Redis namespace: tests share one Redis. */
  namespace: string;
  /** The first of its two bearer keys (the second is "second-key"). */
  key: string;
}

/** The API's config against the harness's Redis and S3 (bucket `bucket`), with its own namespace and key; `env` overrides. */
export function apiTestConfig(bucket: string, env: Record<string, string> = {}): ApiTestConfig {
  const services = testServiceEnv();
  // The API's S3 client takes the standard credential chain.
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
  return { config, namespace, key };
}
