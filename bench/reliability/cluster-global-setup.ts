import type { TestProject } from 'vitest/node';
import { startLocalS3rver } from '../../test/harness/local-s3rver.ts';
import { serviceEnvFor } from '../../test/harness/provided-services.ts';
import { startLocalRedisCluster } from '../../test/support/local-redis-cluster.ts';

/**
 * The harness's global setup, but Redis is a 3-master Redis Cluster on loopback ports: every
 * test file that takes its Redis from `testServiceEnv()` runs its apps on the Cluster
 * (REDIS_URL `redis+cluster://...`, see packages/shared/src/queue/redis-connection.ts).
 */
export default async function setupClusterServices(project: TestProject): Promise<() => Promise<void>> {
  const [cluster, s3] = await Promise.all([startLocalRedisCluster(3), startLocalS3rver()]);
  console.log(`[cluster-services] redis cluster on ${cluster.ports.join(', ')}: ${cluster.url}; s3: ${s3.description}`);
  project.provide('redisUrl', cluster.url);
  project.provide('s3', s3.connection);
  project.provide('testServiceModes', { redis: 'local', s3: 'local' });
  project.provide('testServiceEnv', serviceEnvFor(cluster.url, s3.connection));
  return async () => {
    await Promise.all([cluster.stop(), s3.stop()]);
  };
}
