import { loadWorkerConfig } from './env.ts';
import { startWorker } from './start-worker.ts';

const worker = await startWorker(loadWorkerConfig());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void worker.stop().then(() => process.exit(0));
  });
}
