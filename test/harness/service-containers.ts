import type { RunningService } from './running-service.ts';
import type { TestS3Config } from './provided-services.ts';

const REDIS_IMAGE = 'redis:7';
// The release @testcontainers/minio 11.x itself is tested against; `latest` moves under us.
const MINIO_IMAGE = 'minio/minio:RELEASE.2024-12-13T22-19-12Z';

/**
 * testcontainers is imported lazily: loading it costs ~0.8 s here, wasted when both services
 * come from the environment.
 */
export async function isContainerRuntimeReachable(): Promise<boolean> {
  const { getContainerRuntimeClient } = await import('testcontainers');
  try {
    // Throws within milliseconds when no Docker/Podman socket answers.
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

export async function startRedisContainer(): Promise<RunningService<string>> {
  const { RedisContainer } = await import('@testcontainers/redis');
  const container = await new RedisContainer(REDIS_IMAGE).start();
  return {
    connection: container.getConnectionUrl(),
    description: `${REDIS_IMAGE} container ${container.getId().slice(0, 12)}`,
    stop: async () => {
      await container.stop();
    },
  };
}

export async function startMinioContainer(): Promise<RunningService<TestS3Config>> {
  const { MinioContainer } = await import('@testcontainers/minio');
  const container = await new MinioContainer(MINIO_IMAGE).start();
  return {
    connection: {
      endpoint: container.getConnectionUrl(),
      region: 'us-east-1',
      accessKeyId: container.getUsername(),
      secretAccessKey: container.getPassword(),
      forcePathStyle: true,
    },
    description: `${MINIO_IMAGE} container ${container.getId().slice(0, 12)}`,
    stop: async () => {
      await container.stop();
    },
  };
}
