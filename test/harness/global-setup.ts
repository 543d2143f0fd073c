import type { TestProject } from 'vitest/node';
import { startLocalRedisServer } from './local-redis-server.ts';
import { startLocalS3rver } from './local-s3rver.ts';
import { serviceEnvFor, type TestS3Config, type TestServiceMode } from './provided-services.ts';
import type { RunningService } from './running-service.ts';
import { removeTempDirsOfDeadRunners } from './runner-temp-dirs.ts';
import { isContainerRuntimeReachable, startMinioContainer, startRedisContainer } from './service-containers.ts';

interface ChosenService<Connection> extends RunningService<Connection> {
  mode: TestServiceMode;
}

/**
 * Starts one Redis and one S3 for the whole run, in order of preference: what the environment
 * names (CI services), containers (same images as production), then local processes (this
 * machine has no Docker). Test files isolate themselves by unique key, queue and bucket names.
 */
export default async function setupTestServices(project: TestProject): Promise<() => Promise<void>> {
  await removeTempDirsOfDeadRunners();
  let containerRuntimeReachable: Promise<boolean> | undefined;
  const canUseContainers = () => (containerRuntimeReachable ??= isContainerRuntimeReachable());

  const [redisOutcome, s3Outcome] = await Promise.allSettled([chooseRedis(canUseContainers), chooseS3(canUseContainers)]);
  const started = [redisOutcome, s3Outcome].flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
  const stopAll = () => stopServices(started);
  // A throw returns no teardown for vitest to call, so a half-started pair is stopped here.
  if (redisOutcome.status === 'rejected' || s3Outcome.status === 'rejected') {
    await stopAll();
    throw redisOutcome.status === 'rejected' ? redisOutcome.reason : (s3Outcome as PromiseRejectedResult).reason;
  }
  const redis = redisOutcome.value;
  const s3 = s3Outcome.value;

  console.log(`[test-services] redis: ${redis.mode} (${redis.description}); s3: ${s3.mode} (${s3.description})`);

  project.provide('redisUrl', redis.connection);
  project.provide('s3', s3.connection);
  project.provide('testServiceModes', { redis: redis.mode, s3: s3.mode });
  project.provide('testServiceEnv', serviceEnvFor(redis.connection, s3.connection));

  return stopAll;
}

async function chooseRedis(canUseContainers: () => Promise<boolean>): Promise<ChosenService<string>> {
  const externalUrl = readExternalRedisUrl();
  if (externalUrl) {
    return { mode: 'external', connection: externalUrl, description: `TEST_REDIS_URL ${withoutPassword(externalUrl)}`, stop: async () => {} };
  }
  if (await canUseContainers()) return { mode: 'container', ...(await startRedisContainer()) };
  return { mode: 'local', ...(await startLocalRedisServer()) };
}

async function chooseS3(canUseContainers: () => Promise<boolean>): Promise<ChosenService<TestS3Config>> {
  const external = readExternalS3Config();
  if (external) {
    return { mode: 'external', connection: external, description: `TEST_S3_ENDPOINT ${external.endpoint}`, stop: async () => {} };
  }
  if (await canUseContainers()) return { mode: 'container', ...(await startMinioContainer()) };
  return { mode: 'local', ...(await startLocalS3rver()) };
}

function readExternalRedisUrl(): string | undefined {
  const url = process.env.TEST_REDIS_URL?.trim();
  if (!url) return undefined;
  assertUrl('TEST_REDIS_URL', url, ['redis:', 'rediss:', 'redis+cluster:', 'rediss+cluster:']);
  return url;
}

function readExternalS3Config(): TestS3Config | undefined {
  const endpoint = process.env.TEST_S3_ENDPOINT?.trim();
  if (!endpoint) return undefined;
  assertUrl('TEST_S3_ENDPOINT', endpoint, ['http:', 'https:']);
  const accessKeyId = process.env.TEST_S3_ACCESS_KEY?.trim();
  const secretAccessKey = process.env.TEST_S3_SECRET_KEY?.trim();
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('TEST_S3_ENDPOINT is set, so TEST_S3_ACCESS_KEY and TEST_S3_SECRET_KEY must be set too');
  }
  return {
    endpoint,
    region: process.env.TEST_S3_REGION?.trim() || 'us-east-1',
    accessKeyId,
    secretAccessKey,
    // MinIO, s3rver and most S3 look-alikes need path-style; set "false" for real AWS buckets.
    forcePathStyle: process.env.TEST_S3_FORCE_PATH_STYLE?.trim() !== 'false',
  };
}

function assertUrl(variable: string, value: string, protocols: readonly string[]): void {
  let protocol: string;
  try {
    protocol = new URL(value).protocol;
  } catch (error) {
    throw new Error(`${variable} is not a URL`, { cause: error });
  }
  if (!protocols.includes(protocol)) {
    throw new Error(`${variable} must use ${protocols.join(' or ')}, got ${protocol}`);
  }
}

function withoutPassword(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.toString();
}

async function stopServices(services: readonly RunningService<unknown>[]): Promise<void> {
  const outcomes = await Promise.allSettled(services.map((service) => service.stop()));
  const failures = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
  if (failures.length > 0) throw new AggregateError(failures, 'stopping test services failed');
}
