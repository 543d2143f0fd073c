import { fileURLToPath } from 'node:url';
import { HealthReportingStore } from './health-reporting-store.ts';
import { LocalDirectoryStore } from './local-directory-store.ts';
import type { ObjectStore } from './object-store.ts';
import { S3ObjectStore } from './s3-object-store.ts';

import type { StoreOptions } from '../config/common-env.ts';

export type ObjectStoreConfig = StoreOptions;

/**
 * Builds the store named by `url` (STORE_URL): `file:///abs/dir` or `s3://bucket/prefix`. Its calls
 * report to the process's dependency registry, so an outage shows in logs, `/readyz` and
 * the `audio_index_dependency_up{dependency="store"}` gauge.
 */
export function createObjectStore(config: ObjectStoreConfig, credentials?: { accessKeyId: string; secretAccessKey: string }): ObjectStore {
  return new HealthReportingStore(createBareObjectStore(config, credentials));
}

function createBareObjectStore(config: ObjectStoreConfig, credentials?: { accessKeyId: string; secretAccessKey: string }): ObjectStore {
  const url = new URL(config.url);
  if (url.protocol === 'file:') return new LocalDirectoryStore(fileURLToPath(url));
  if (url.protocol === 's3:') {
    return new S3ObjectStore({
      bucket: url.hostname,
      prefix: url.pathname.replace(/^\/+|\/+$/g, ''),
      endpoint: config.endpoint,
      region: config.region,
      forcePathStyle: config.forcePathStyle,
      credentials,
    });
  }
  throw new Error(`unsupported STORE_URL scheme: ${url.protocol}`);
}
