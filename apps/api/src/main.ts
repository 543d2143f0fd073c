import { BoundedShutdown, createLogger, dependencyHealth, exitOnStartFailure } from '@audio-index/shared';
import { loadApiConfig } from './env.ts';
import { startApi } from './start-api.ts';

const config = loadApiConfig();
const logger = createLogger('api', config.logLevel);
dependencyHealth.useLogger(logger);
// Installed before starting, so a signal during start (Redis not answering) still ends it.
const shutdown = new BoundedShutdown({ logger, graceMs: config.shutdownGraceMs });
shutdown.installSignalHandlers();
try {
  const api = await startApi(config);
  shutdown.add({ name: 'api', run: api.stop });
} catch (error) {
  exitOnStartFailure('api', error);
}
