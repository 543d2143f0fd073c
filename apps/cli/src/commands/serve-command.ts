export type ServeRole = 'api' | 'worker' | 'indexer' | 'all';

/**
 * Runs one role (or all three) in this process until SIGINT/SIGTERM, then shuts down in
 * the order that loses nothing: stop accepting requests, let workers finish, then the indexer.
 */
export async function serveCommand(role: ServeRole): Promise<never> {
  // Imported here, not at the top: the client commands should not load ONNX, Faiss and BullMQ.
  const [{ loadApiConfig, startApi }, { loadIndexerConfig, startIndexer }, { loadWorkerConfig, startWorker }] = await Promise.all([
    import('@audio-index/api'),
    import('@audio-index/indexer'),
    import('@audio-index/worker'),
  ]);
  const stops: (() => Promise<void>)[] = [];
  if (role === 'indexer' || role === 'all') stops.unshift((await startIndexer(loadIndexerConfig())).stop);
  if (role === 'worker' || role === 'all') stops.unshift((await startWorker(loadWorkerConfig())).stop);
  if (role === 'api' || role === 'all') {
    const api = await startApi(loadApiConfig());
    console.error(`audio-index ${role}: API listening at ${api.url}`);
    stops.unshift(api.stop);
  } else console.error(`audio-index ${role}: running`);
  return new Promise<never>(() => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        void (async () => {
          for (const stop of stops) await stop();
          process.exit(0);
        })();
      });
    }
  });
}
