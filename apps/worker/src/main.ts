import { BoundedShutdown, createLogger, dependencyHealth, exitOnStartFailure } from '@audio-index/shared';
import { loadWorkerConfig } from './env.ts';
import { startWorker } from './start-worker.ts';

const config = loadWorkerConfig();
const logger = createLogger('worker', config.logLevel);
dependencyHealth.useLogger(logger);
// Installed before starting, so a signal during start (Redis not answering) still ends it.
// A second signal means "now": the jobs still active are retried after their locks lapse.
const shutdown = new BoundedShutdown({ logger, graceMs: config.shutdownGraceMs });
shutdown.installSignalHandlers();
try {
  const worker = await startWorker(config);
  shutdown.add({
    name: 'worker',
    run: worker.stop,
    ifUnreleased: `its active jobs are retried by another worker once their locks lapse (WORKER_LOCK_DURATION_MS, ${config.jobs.lockDurationMs} ms)`,
  });
} catch (error) {
  // Bad config, model, or an execution provider whose libraries are missing.
  exitOnStartFailure('worker', error);
}
