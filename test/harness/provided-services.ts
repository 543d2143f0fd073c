/**
 * What the global setup hands to test files through `project.provide` / `inject`.
 * Values cross a process boundary (the forks pool), so they must stay plain JSON.
 */

export type TestServiceMode = 'external' | 'container' | 'local';

export interface TestS3Config {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
}

export interface TestServiceModes {
  redis: TestServiceMode;
  s3: TestServiceMode;
}

/**
 * The variables an app's `env.ts` and the AWS SDK read, for tests that parse an app's env or
 * spawn an app. Provided rather than written to `process.env` so no test depends on ambient
 * state that another file may have changed.
 */
export interface TestServiceEnv {
  REDIS_URL: string;
  S3_ENDPOINT: string;
  S3_REGION: string;
  S3_FORCE_PATH_STYLE: 'true' | 'false';
  AWS_ACCESS_KEY_ID: string;
  AWS_SECRET_ACCESS_KEY: string;
  AWS_REGION: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    redisUrl: string;
    s3: TestS3Config;
    testServiceModes: TestServiceModes;
    testServiceEnv: TestServiceEnv;
  }
}

export function serviceEnvFor(redisUrl: string, s3: TestS3Config): TestServiceEnv {
  return {
    REDIS_URL: redisUrl,
    S3_ENDPOINT: s3.endpoint,
    S3_REGION: s3.region,
    S3_FORCE_PATH_STYLE: s3.forcePathStyle ? 'true' : 'false',
    AWS_ACCESS_KEY_ID: s3.accessKeyId,
    AWS_SECRET_ACCESS_KEY: s3.secretAccessKey,
    AWS_REGION: s3.region,
  };
}
