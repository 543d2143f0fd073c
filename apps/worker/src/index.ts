export { startWorker, type RunningWorker } from './start-worker.ts';
export { loadWorkerConfig, workerEnvSchema, type WorkerConfig } from './env.ts';
export { createListingProcessor, type ListingProcessorDeps } from './listing-processor.ts';
