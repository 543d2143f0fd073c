import type { Worker } from 'node:worker_threads';
import { EmbeddingError } from './embedding-error.ts';
import { startTypeScriptWorker } from './typescript-worker.ts';
import type { EmbedRequest, InferenceThreadData, SerializedFailure, ThreadMessage } from './thread-protocol.ts';

interface Task {
  readonly taskId: number;
  readonly samples: Float32Array;
  resolve(vector: Float32Array): void;
  reject(error: EmbeddingError): void;
}

interface InferenceThread {
  readonly worker: Worker;
  task: Task | undefined;
}

const threadEntry = new URL('./inference-thread.ts', import.meta.url);

/**
 * A fixed set of inference threads, each with its own session, fed from one queue.
 * Sample buffers go to a thread by transfer, and vectors come back the same way.
 * Idle threads are unref'd, so an embedder that nobody closed never keeps a process
 * alive, while a thread with work in hand does.
 */
export class InferenceThreadPool {
  private readonly threads: InferenceThread[] = [];
  private readonly queue: Task[] = [];
  private nextTaskId = 1;
  private startingThreads = 0;
  private closed = false;

  private constructor(private readonly threadData: InferenceThreadData) {}

  static async start(threadData: InferenceThreadData, threadCount: number): Promise<InferenceThreadPool> {
    const pool = new InferenceThreadPool(threadData);
    const started = await Promise.allSettled(Array.from({ length: threadCount }, () => pool.startThread()));
    const failure = started.find((result) => result.status === 'rejected');
    if (failure) {
      await pool.close();
      throw failure.reason;
    }
    return pool;
  }

  /** The pooled, not yet normalised vector of one clip. `samples`' buffer is detached. */
  embed(samples: Float32Array): Promise<Float32Array> {
    if (this.closed) return Promise.reject(new EmbeddingError('EMBEDDER_CLOSED', 'the embedder is closed'));
    return new Promise((resolve, reject) => {
      this.queue.push({ taskId: this.nextTaskId++, samples, resolve, reject });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const task of this.queue.splice(0)) task.reject(new EmbeddingError('EMBEDDER_CLOSED', 'the embedder was closed'));
    const threads = this.threads.splice(0);
    for (const thread of threads) thread.task?.reject(new EmbeddingError('EMBEDDER_CLOSED', 'the embedder was closed'));
    await Promise.all(threads.map((thread) => thread.worker.terminate()));
  }

  private startThread(): Promise<void> {
    this.startingThreads++;
    const started = new Promise<void>((resolve, reject) => {
      const worker = startTypeScriptWorker(threadEntry, { workerData: this.threadData });
      const thread: InferenceThread = { worker, task: undefined };
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
        } else {
          this.finish(thread, message);
        }
      });
      worker.on('error', (error) => {
        const failure = new EmbeddingError('INFERENCE_FAILED', 'an inference thread crashed', { cause: error });
        if (!ready) reject(new EmbeddingError('MODEL_LOAD_FAILED', 'an inference thread crashed while starting', { cause: error }));
        thread.task?.reject(failure);
        thread.task = undefined;
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
    thread.task?.reject(new EmbeddingError('INFERENCE_FAILED', 'an inference thread exited'));
    await this.startThread().catch(() => this.dispatch());
  }

  private dispatch(): void {
    if (this.threads.length === 0 && this.startingThreads === 0) {
      for (const task of this.queue.splice(0)) {
        task.reject(new EmbeddingError('INFERENCE_FAILED', 'no inference thread is running and none could be restarted'));
      }
      return;
    }
    for (const thread of this.threads) {
      if (thread.task) continue;
      const task = this.queue.shift();
      if (!task) return;
      thread.task = task;
      thread.worker.ref();
      const request: EmbedRequest = { type: 'embed', taskId: task.taskId, samples: task.samples };
      thread.worker.postMessage(request, [task.samples.buffer as ArrayBuffer]);
    }
  }

  private finish(thread: InferenceThread, message: Extract<ThreadMessage, { taskId: number }>): void {
    const task = thread.task;
    if (!task || task.taskId !== message.taskId) return;
    thread.task = undefined;
    thread.worker.unref();
    if (message.type === 'embedded') task.resolve(message.vector);
    else task.reject(toError(message.failure));
    this.dispatch();
  }
}

function toError(failure: SerializedFailure): EmbeddingError {
  return new EmbeddingError(failure.code, failure.message, { cause: failure.cause });
}
