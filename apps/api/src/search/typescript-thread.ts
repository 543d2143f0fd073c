import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts a worker thread whose entry is a TypeScript file. On Node 20 the tsx loader given
 * through execArgv does not reach a worker's entry, so a tiny JavaScript bootstrap registers
 * tsx in the new thread and then imports the entry (as packages/embedding does for its
 * inference threads).
 */
export function startTypeScriptThread(entry: URL, options: WorkerOptions): Worker {
  const tsxApi = import.meta.resolve('tsx/esm/api');
  const bootstrap = [
    `import { register } from ${JSON.stringify(tsxApi)};`,
    'register();',
    `await import(${JSON.stringify(entry.href)});`,
  ].join('\n');
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), options);
}
