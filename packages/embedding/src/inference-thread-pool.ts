import type { Worker } from 'node:worker_threads';
import { EmbeddingError } from './embedding-error.ts';
import { startTypeScriptWorker } from '@audio-index/shared';
import type { ModelCall } from './clip-embedding.ts';
import type {
  ClipResult,
  CloseRequest,
  EmbedBatchRequest,
  EmbedRunRequest,
  InferenceThreadData,
  SegmentResult,
  SerializedFailure,
  ThreadMessage,
} from './thread-protocol.ts';
import { countBatch, type EmbedderStats, type RunTask, type Task } from './pool-tasks.ts';

interface InferenceThread {
  readonly worker: Worker;
  /** Sent and not yet answered, oldest first: the one running, then at most one waiting in the thread. */
  batches: { readonly batchId: number; readonly tasks: Task[] }[];
}

/**
 * A busy thread is sent its next batch before it finishes the current one, so it starts on it
 * at once instead of waiting for this (main) thread to take its answer and reply: in a worker
 * the main thread also decodes, talks to Redis and, under `npm start`, serves the API, and a
 * window takes only ~4 ms to embed. bench/ingest/RESULTS.md (lever 6) measured the gain.
 */
const BATCHES_PER_THREAD = 2;

export interface BatchingOptions {
  /** Most windows in one model call. */
  readonly batchSize: number;
  /** How long an idle thread waits for more clips when fewer than a batch are queued. */
  readonly maxWaitMs: number;
}

const threadEntry = new URL('./inference-thread.ts', import.meta.url);

/**
 * A fixed set of inference threads, each with its own session, fed from one queue. An idle
 * thread takes queued clips up to a batch's worth of windows and embeds them together (the
 * lever that keeps a GPU busy); when less than a batch is queued it waits up to `maxWaitMs`
 * for more. Sample buffers go to a thread by transfer, and vectors come back the same way.
 * Idle threads are unref'd, so an embedder that nobody closed never keeps a process
 * alive, while a thread with work in hand does.
 */
export class InferenceThreadPool {
  private readonly threads: InferenceThread[] = [];
  private readonly queue: Task[] = [];
  private readonly counters: EmbedderStats = { clips: 0, modelCalls: 0, windows: 0, multiClipCalls: 0, largestCallWindows: 0, sharedFrameRuns: 0 };
  private nextTaskId = 1;
  private nextBatchId = 1;
  private startingThreads = 0;
  private closed = false;
  private waitTimer: NodeJS.Timeout | undefined;

  private constructor(
    private readonly threadData: InferenceThreadData,
    private readonly batching: BatchingOptions,
  ) {}

  static async start(threadData: InferenceThreadData, threadCount: number, batching: BatchingOptions): Promise<InferenceThreadPool> {
    const pool = new InferenceThreadPool(threadData, batching);
    const started = await Promise.allSettled(Array.from({ length: threadCount }, () => pool.startThread()));
    const failure = started.find((result) => result.status === 'rejected');
    if (failure) {
      await pool.close();
      throw failure.reason;
    }
    return pool;
  }

  /** The pooled, not yet normalised vector of one clip. `samples`' buffer is detached. */
  embed(samples: Float32Array, windows: number): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new EmbeddingError('EMBEDDER_CLOSED', 'the embedder is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ kind: 'clip', taskId: this.nextTaskId++, samples, windows, queuedAt: performance.now(), resolve, reject });
      this.dispatch();
    });
  }

  /**
   * The pooled, not yet normalised vectors of segments `segmentSamples` long at `starts` in
   * `samples` (whose buffer is detached), or each one's error: needs a card with `sharedFrames`.
   */
  embedRun(samples: Float32Array, starts: readonly number[], segmentSamples: number): Promise<(Float32Array | EmbeddingError)[]> {
    if (this.closed) return Promise.reject(new EmbeddingError('EMBEDDER_CLOSED', 'the embedder is closed'));
    return new Promise((resolve, reject) => {
      const task: RunTask = {
        kind: 'run',
        taskId: this.nextTaskId++,
        samples,
        starts,
        segmentSamples,
        windows: starts.length,
        queuedAt: performance.now(),
        resolve,
        reject,
      };
      this.queue.push(task);
      this.dispatch();
    });
  }

  stats(): EmbedderStats {
    return { ...this.counters };
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.waitTimer);
    for (const task of this.queue.splice(0)) task.reject(new EmbeddingError('EMBEDDER_CLOSED', 'the embedder was closed'));
    const threads = this.threads.splice(0);
    for (const thread of threads) this.failBatch(thread, new EmbeddingError('EMBEDDER_CLOSED', 'the embedder was closed'));
    await Promise.all(threads.map((thread) => closeThread(thread.worker)));
  }

  private startThread(): Promise<void> {
    this.startingThreads++;
    const started = new Promise<void>((resolve, reject) => {
      const worker = startTypeScriptWorker(threadEntry, { workerData: this.threadData });
      const thread: InferenceThread = { worker, batches: [] };
      let ready = false;
      worker.on('message', (message: ThreadMessage) => {
        if (message.type === 'ready') {
          ready = true;
          resolve();
          if (this.closed) return void worker.terminate();
          this.threads.push(thread);
          worker.unref();
          this.dispatch();
        } else if (message.type === 'start-failed') {
          void worker.terminate();
          reject(toError(message.failure));
        } else if (message.type === 'run-done') {
          this.finishRun(thread, message.batchId, message.segments, message.calls);
        } else {
          this.finish(thread, message.batchId, message.results, message.calls);
        }
      });
      worker.on('error', (error) => {
        if (!ready) reject(new EmbeddingError('MODEL_LOAD_FAILED', 'an inference thread crashed while starting', { cause: error }));
        this.failBatch(thread, new EmbeddingError('INFERENCE_FAILED', 'an inference thread crashed', { cause: error }));
      });
      worker.on('exit', () => {
        if (!ready) reject(new EmbeddingError('MODEL_LOAD_FAILED', 'an inference thread exited while starting'));
        if (ready) void this.replace(thread);
      });
    });
    return started.finally(() => {
      this.startingThreads--;
    });
  }

  /** A thread that died is replaced, so one bad clip cannot shrink the pool for good. */
  private async replace(thread: InferenceThread): Promise<void> {
    const index = this.threads.indexOf(thread);
    if (index === -1 || this.closed) return;
    this.threads.splice(index, 1);
    this.failBatch(thread, new EmbeddingError('INFERENCE_FAILED', 'an inference thread exited'));
    await this.startThread().catch(() => this.dispatch());
  }

  private failBatch(thread: InferenceThread, error: EmbeddingError): void {
    for (const batch of thread.batches.splice(0)) for (const task of batch.tasks) task.reject(error);
  }

  private dispatch(): void {
    if (this.threads.length === 0 && this.startingThreads === 0) {
      for (const task of this.queue.splice(0)) {
        task.reject(new EmbeddingError('INFERENCE_FAILED', 'no inference thread is running and none could be restarted'));
      }
      return;
    }
    // Idle threads first; then a busy thread's next batch, only a full one (a partial batch sent
    // early would leave out clips that could still join it).
    for (const thread of this.threads) {
      if (thread.batches.length > 0) continue;
      if (this.queue.length === 0) return;
      if (this.shouldWaitForMore()) return;
      this.send(thread, this.takeBatch());
    }
    for (const thread of this.threads) {
      if (thread.batches.length >= BATCHES_PER_THREAD) continue;
      if (this.queuedWindows() < this.batching.batchSize) return;
      this.send(thread, this.takeBatch());
    }
  }

  private send(thread: InferenceThread, tasks: Task[]): void {
    const batchId = this.nextBatchId++;
    thread.batches.push({ batchId, tasks });
    thread.worker.ref();
    const [first] = tasks;
    if (first?.kind === 'run') {
      const run: EmbedRunRequest = { type: 'embed-run', batchId, samples: first.samples, starts: first.starts, segmentSamples: first.segmentSamples };
      thread.worker.postMessage(run, [first.samples.buffer as ArrayBuffer]);
      return;
    }
    const request: EmbedBatchRequest = { type: 'embed-batch', batchId, clips: tasks.map((task) => ({ taskId: task.taskId, samples: task.samples })) };
    thread.worker.postMessage(
      request,
      tasks.map((task) => task.samples.buffer as ArrayBuffer),
    );
  }

  private queuedWindows(): number {
    return this.queue.reduce((sum, task) => sum + task.windows, 0);
  }

  /** Less than a batch is queued and the oldest clip may still wait: come back when it may not. */
  private shouldWaitForMore(): boolean {
    const { batchSize, maxWaitMs } = this.batching;
    const queuedWindows = this.queuedWindows();
    if (maxWaitMs <= 0 || batchSize <= 1 || queuedWindows >= batchSize) return false;
    const waitLeft = this.queue[0]!.queuedAt + maxWaitMs - performance.now();
    if (waitLeft <= 0) return false;
    if (!this.waitTimer) {
      this.waitTimer = setTimeout(() => {
        this.waitTimer = undefined;
        this.dispatch();
      }, Math.ceil(waitLeft));
    }
    return true;
  }

  /** Clips in arrival order while their windows fit in one batch; always at least one. A run goes alone. */
  private takeBatch(): Task[] {
    const tasks = [this.queue.shift()!];
    if (tasks[0]!.kind === 'run') return tasks;
    let windows = tasks[0]!.windows;
    while (this.queue.length > 0 && this.queue[0]!.kind === 'clip' && windows + this.queue[0]!.windows <= this.batching.batchSize) {
      const task = this.queue.shift()!;
      windows += task.windows;
      tasks.push(task);
    }
    return tasks;
  }

  private finish(thread: InferenceThread, batchId: number, results: readonly ClipResult[], calls: readonly ModelCall[]): void {
    const batch = this.takeAnswered(thread, batchId);
    if (!batch) return;
    const byId = new Map(batch.tasks.map((task) => [task.taskId, task]));
    for (const result of results) {
      const task = byId.get(result.taskId);
      if (!task) continue;
      if (task.kind !== 'clip') continue;
      if ('vector' in result) task.resolve(result.vector);
      else task.reject(toError(result.failure));
    }
    countBatch(this.counters, batch.tasks.length, calls);
    this.dispatch();
  }

  private finishRun(thread: InferenceThread, batchId: number, segments: readonly SegmentResult[], calls: readonly ModelCall[]): void {
    const batch = this.takeAnswered(thread, batchId);
    const task = batch?.tasks[0];
    if (task?.kind !== 'run') return;
    task.resolve(segments.map((segment) => ('vector' in segment ? segment.vector : toError(segment.failure))));
    this.counters.sharedFrameRuns += 1;
    countBatch(this.counters, segments.length, calls);
    this.dispatch();
  }

  /** The batch a thread answered, no longer counted as in flight there. */
  private takeAnswered(thread: InferenceThread, batchId: number): InferenceThread['batches'][number] | undefined {
    const index = thread.batches.findIndex((batch) => batch.batchId === batchId);
    if (index === -1) return undefined;
    const [batch] = thread.batches.splice(index, 1);
    if (thread.batches.length === 0) thread.worker.unref();
    return batch;
  }
}

/**
 * How long a closing thread may take to finish its model call and exit before it is terminated:
 * a call takes milliseconds, a long run of segments well under a second; a thread stuck longer is
 * broken, and terminating it is the lesser harm.
 */
const THREAD_CLOSE_MS = 10_000;

/** Asks a thread to exit once its model call is done (thread-protocol.ts, CloseRequest); terminates it if it does not. */
async function closeThread(worker: Worker): Promise<void> {
  const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
  worker.postMessage({ type: 'close' } satisfies CloseRequest);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), THREAD_CLOSE_MS)));
  if ((await Promise.race([exited, late])) === 'late') await worker.terminate();
  clearTimeout(timer);
}

function toError(failure: SerializedFailure): EmbeddingError {
  return new EmbeddingError(failure.code, failure.message, { cause: failure.cause });
}
