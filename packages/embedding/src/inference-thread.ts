/**
 * Entry point of one inference thread: one ONNX Runtime session, one batch of clips at a
 * time. session.run blocks the thread it runs on, so it must not be the main event loop
 * (BullMQ lock renewal would starve and jobs would stall and run twice).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type ort from 'onnxruntime-node';
import { embedClips } from './clip-embedding.ts';
import { EmbeddingError, isEmbeddingError } from './embedding-error.ts';
import { createInferenceSession } from './execution-provider.ts';
import { checkSharedFrames } from './shared-frames-check.ts';
import { embedSegmentRun, type SplitSessions } from './shared-frames-run.ts';
import type {
  ClipResult,
  EmbedBatchRequest,
  EmbedRunRequest,
  InferenceThreadData,
  SegmentResult,
  SerializedFailure,
  ThreadMessage,
  ThreadRequest,
} from './thread-protocol.ts';

const port = parentPort!;
const data = workerData as InferenceThreadData;
const post = (message: ThreadMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

let session: ort.InferenceSession;
let split: SplitSessions | undefined;
try {
  const open = (modelPath: string) => createInferenceSession({ modelPath, executionProvider: data.executionProvider, intraOpThreads: data.intraOpThreads });
  session = await open(data.modelPath);
  await checkModelAgainstCard(session);
  if (data.sharedFramePaths) {
    split = { frontEnd: await open(data.sharedFramePaths.frontEnd), head: await open(data.sharedFramePaths.head) };
    await checkSharedFrames(session, split, data.card);
  }
  post({ type: 'ready' });
  // The pool may send the next batch while one runs; they run one after another, in order.
  let running: Promise<void> = Promise.resolve();
  let closing = false;
  port.on('message', (request: ThreadRequest) => {
    if (request.type === 'close') {
      closing = true;
      running = running.then(async () => {
        await Promise.allSettled([session, split?.frontEnd, split?.head].map((opened) => opened?.release()));
        process.exit(0);
      });
      return;
    }
    running = running
      .then(() => (closing ? undefined : request.type === 'embed-run' ? embedRun(request) : embedBatch(request)))
      .catch((error: unknown) => {
        // Unexpected (embedClips reports a clip's failure in its result): crash the thread as an
        // unawaited rejection did, so the pool fails its batches and starts a new one.
        setImmediate(() => {
          throw error;
        });
      });
  });
} catch (error) {
  post({ type: 'start-failed', failure: serialize(error, 'MODEL_LOAD_FAILED') });
}

async function embedBatch(request: EmbedBatchRequest): Promise<void> {
  const { outcomes, calls } = await embedClips(
    session,
    data.card,
    request.clips.map((clip) => clip.samples),
    data.batchSize,
  );
  const transfer: ArrayBuffer[] = [];
  const results = outcomes.map((outcome, index): ClipResult => {
    const taskId = request.clips[index]!.taskId;
    if ('error' in outcome) return { taskId, failure: serialize(outcome.error, 'INFERENCE_FAILED') };
    transfer.push(outcome.vector.buffer as ArrayBuffer);
    return { taskId, vector: outcome.vector };
  });
  post({ type: 'batch-done', batchId: request.batchId, results, calls }, transfer);
}

async function embedRun(request: EmbedRunRequest): Promise<void> {
  const { outcomes, calls } = await embedSegmentRun(split!, data.card, request);
  const transfer: ArrayBuffer[] = [];
  const segments = outcomes.map((outcome): SegmentResult => {
    if ('error' in outcome) return { failure: serialize(outcome.error, 'INFERENCE_FAILED') };
    transfer.push(outcome.vector.buffer as ArrayBuffer);
    return { vector: outcome.vector };
  });
  post({ type: 'run-done', batchId: request.batchId, segments, calls }, transfer);
}

/** Fails at start, not on the first job, when the card does not describe the model. */
async function checkModelAgainstCard(session: ort.InferenceSession): Promise<void> {
  const { card } = data;
  if (!session.inputNames.includes(card.inputName) || !session.outputNames.includes(card.outputName)) {
    throw new EmbeddingError(
      'MODEL_CARD_INVALID',
      `card ${card.id} names input "${card.inputName}" and output "${card.outputName}"; the model has inputs [${session.inputNames.join(', ')}] and outputs [${session.outputNames.join(', ')}]`,
    );
  }
  const probe = new Float32Array(Math.ceil(card.minSeconds * card.sampleRate));
  for (let i = 0; i < probe.length; i++) probe[i] = 0.1 * Math.sin((2 * Math.PI * 440 * i) / card.sampleRate);
  const [outcome] = (await embedClips(session, card, [probe], 1, { refuseSilence: false })).outcomes;
  if (outcome && 'error' in outcome) throw outcome.error;
}

function serialize(error: unknown, fallbackCode: SerializedFailure['code']): SerializedFailure {
  if (isEmbeddingError(error)) return { code: error.code, message: error.message, cause: plainCause(error.cause) };
  return { code: fallbackCode, message: error instanceof Error ? error.message : String(error), cause: plainCause(error) };
}

/** A fresh plain Error always survives postMessage; a library's error object may not clone. */
function plainCause(cause: unknown): unknown {
  if (cause === undefined) return undefined;
  if (cause instanceof Error) return Object.assign(new Error(cause.message), { name: cause.name });
  return String(cause);
}
