import { loadIndexerConfig } from './env.ts';
import { startIndexer } from './start-indexer.ts';

const indexer = await startIndexer(loadIndexerConfig());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void indexer.stop().then(() => process.exit(0));
  });
}
