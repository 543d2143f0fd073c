import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread whose entry is a TypeScript file. On Node 20 neither
 * `execArgv: ['--import', 'tsx']` (the loader hooks do not reach the worker's entry:
 * ERR_UNKNOWN_FILE_EXTENSION) nor vitest's own transform (it stops at the thread
 * boundary) can load one, so a tiny JavaScript bootstrap registers tsx's loader in the
 * new thread and then imports the entry. tsx is resolved here, from this package, so
 * the thread does not depend on the process's working directory. Used by the inference
 * threads (packages/embedding) and the search threads (apps/api).
 */
export function startTypeScriptWorker(entry: URL, options: WorkerOptions): Worker {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = [`import { register } from ${JSON.stringify(tsxApi)};`, 'register();', `await import(${JSON.stringify(entry.href)});`].join('\n');
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), options);
}
