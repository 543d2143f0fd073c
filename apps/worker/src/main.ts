import { errorCodeOf } from '@audio-index/shared';
import { loadWorkerConfig } from './env.ts';
import { startWorker, type RunningWorker } from './start-worker.ts';

let worker: RunningWorker;
try {
  worker = await startWorker(loadWorkerConfig());
} catch (error) {
  // A worker that cannot start (bad config, model, or an execution provider whose libraries
  // are missing) says why on one line and exits non-zero, so an orchestrator shows the
  // reason instead of restarting a process that looks healthy.
  const cause = error instanceof Error && error.cause instanceof Error ? ` (cause: ${error.cause.message})` : '';
  console.error(`worker failed to start: ${errorCodeOf(error)}: ${error instanceof Error ? error.message : String(error)}${cause}`);
  process.exit(1);
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    // A second signal means "now": the jobs still active are retried after their locks lapse.
    process.once(signal, () => process.exit(130));
    worker.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('worker did not stop cleanly', error);
        process.exit(1);
      },
    );
  });
}
