import { BoundedShutdown, createLogger, dependencyHealth } from '@audio-index/shared';

export type ServeRole = 'api' | 'worker' | 'indexer' | 'all';

/** The API stops accepting and drains its requests first; searches finish well within this. */
const API_DRAIN_BUDGET_MS = 5_000;

/**
 * Runs one role (or all three) in this process until SIGINT/SIGTERM, then shuts down in
 * the order that loses nothing: stop accepting requests, let workers finish, then the indexer,
 * all within SHUTDOWN_GRACE_MS + 5 s (a second signal exits at once).
 */
export async function serveCommand(role: ServeRole): Promise<never> {
  // Imported here, not at the top: the client commands should not load ONNX, Faiss and BullMQ.
  const [{ loadApiConfig, startApi }, { loadIndexerConfig, startIndexer }, { loadWorkerConfig, startWorker }] = await Promise.all([
    import('@audio-index/api'),
    import('@audio-index/indexer'),
    import('@audio-index/worker'),
  ]);
  const config = role === 'indexer' ? loadIndexerConfig() : role === 'worker' ? loadWorkerConfig() : loadApiConfig();
  const logger = createLogger(role === 'all' ? 'all' : role, config.logLevel);
  dependencyHealth.useLogger(logger);
  const shutdown = new BoundedShutdown({ logger, graceMs: config.shutdownGraceMs });
  shutdown.installSignalHandlers();
  if (role === 'indexer' || role === 'all') shutdown.addFirst({ name: 'indexer', run: (await startIndexer(loadIndexerConfig())).stop });
  if (role === 'worker' || role === 'all') shutdown.addFirst({ name: 'worker', run: (await startWorker(loadWorkerConfig())).stop });
  if (role === 'api' || role === 'all') {
    const api = await startApi(loadApiConfig());
    console.error(`audio-index ${role}: API listening at ${api.url}`);
    shutdown.addFirst({ name: 'api', run: api.stop, ...(role === 'all' ? { budgetMs: Math.min(config.shutdownGraceMs, API_DRAIN_BUDGET_MS) } : {}) });
  } else console.error(`audio-index ${role}: running`);
  // Never resolves: the shutdown ends the process.
  return new Promise<never>(() => undefined);
}
