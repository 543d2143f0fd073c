import { BoundedShutdown, createLogger, dependencyHealth, exitOnStartFailure } from '@audio-index/shared';
import { loadIndexerConfig } from './env.ts';
import { startIndexer } from './start-indexer.ts';

const config = loadIndexerConfig();
const logger = createLogger('indexer', config.logLevel);
dependencyHealth.useLogger(logger);
// Installed before starting, so a signal during start (Redis not answering) still ends it.
const shutdown = new BoundedShutdown({ logger, graceMs: config.shutdownGraceMs });
shutdown.installSignalHandlers();
try {
  const indexer = await startIndexer(config);
  shutdown.add({
    name: 'indexer',
    run: indexer.stop,
    // Nothing is lost: the stream is acked only after a publish is committed.
    ifUnreleased: `its leader locks lapse within LEADER_LOCK_TTL_MS (${config.leader.lockTtlMs} ms) and the next leader reads the unpublished entries again`,
  });
} catch (error) {
  exitOnStartFailure('indexer', error);
}
