export { IndexerService } from './indexer-service.ts';
export { loadIndexerConfig, indexerEnvSchema, type IndexerConfig } from './env.ts';
export { startIndexer } from './start-indexer.ts';
