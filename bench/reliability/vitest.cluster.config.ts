import { defineConfig } from 'vitest/config';
import base from '../../vitest.config.ts';

/**
 * The suite's config with Redis swapped for a 3-master Redis Cluster. Only files whose apps
 * take Redis from `testServiceEnv()` make sense here (test/e2e, test/reliability):
 *
 *   npx vitest run --config bench/reliability/vitest.cluster.config.ts test/e2e test/reliability
 */
export default defineConfig({
  test: {
    ...base.test,
    globalSetup: ['bench/reliability/cluster-global-setup.ts'],
    reporters: ['default'],
  },
});
