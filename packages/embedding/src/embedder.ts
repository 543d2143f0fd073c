import { EmbeddingError } from './embedding-error.ts';
import type { ExecutionProvider } from './execution-provider.ts';
import { windowsOfClip } from './clip-embedding.ts';
import { InferenceThreadPool } from './inference-thread-pool.ts';
import type { EmbedderStats } from './pool-tasks.ts';
import { l2Normalise } from './l2-normalise.ts';
import { loadModelCard, type ModelCard, type ModelCardFile } from './model-card.ts';
import { ProgressiveSegments } from './progressive-segments.ts';
import { embedRecordingSegments, type SegmentEmbeddings } from './segment-embedding.ts';
export type { SegmentEmbeddings };
import type { SegmentSettings } from './segment-plan.ts';

export interface EmbedderOptions {
  /** A built-in model name ("default") or the path of a card.json. */
  readonly model: string;
  readonly executionProvider: ExecutionProvider;
  /** Inference threads, each with its own session; clips run in parallel across them. @defaultValue 1 */
  readonly threads?: number;
  /** ONNX Runtime threads inside one run of one session. @defaultValue 1 */
  readonly intraOpThreads?: number;
  /**
   * Most windows in one model call. Clips embedded concurrently (from different jobs) share
   * calls up to this many windows of equal length. @defaultValue 4
   */
  readonly batchSize?: number;
  /** How long an idle inference thread waits for more clips to fill a batch (ms). @defaultValue 0 */
  readonly batchMaxWaitMs?: number;
}

export interface EmbedOptions {
  /**
   * Hand the samples' buffer to the inference thread instead of copying it; the caller's
   * array is detached (length 0) afterwards. Worth it for long clips the caller is done
   * with. Ignored, with a copy made, when the array is a view into a larger buffer.
   * @defaultValue false
   */
  readonly transfer?: boolean;
}

export interface Embedder {
  readonly card: ModelCard;
  readonly modelId: string;
  readonly dim: number;
  readonly sampleRate: number;
  /** Unit-length embedding of a mono clip at `sampleRate`. */
  embed(samples: Float32Array, options?: EmbedOptions): Promise<Float32Array>;
  /**
   * Unit embeddings of a recording's segments (docs/segments.md). Silent segments (a pause in a
   * broadcast) are left out; a recording with nothing audible fails SILENT_AUDIO, as `embed` does.
   */
  embedSegments(samples: Float32Array, settings: SegmentSettings): Promise<SegmentEmbeddings>;
  /**
   * `embedSegments` for a recording still being decoded: `add` its samples as they come, then
   * `finish` with all of them; runs of segments start as soon as their samples are there.
   */
  progressiveSegments(settings: SegmentSettings): ProgressiveSegments;
  /** What the inference threads did so far: clips, model calls, windows, batches formed. */
  stats(): EmbedderStats;
  close(): Promise<void>;
}

/** Loads the card, starts the inference threads and resolves once every session runs. */
export async function createEmbedder(options: EmbedderOptions): Promise<Embedder> {
  const threads = options.threads ?? 1;
  const intraOpThreads = options.intraOpThreads ?? 1;
  const batchSize = options.batchSize ?? 4;
  const batchMaxWaitMs = options.batchMaxWaitMs ?? 0;
  for (const [name, value] of Object.entries({ threads, intraOpThreads, batchSize })) {
    if (!Number.isInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  }
  const card = loadModelCard(options.model);
  const { cardPath: _cardPath, modelPath, sharedFramePaths, ...cardFile } = card;
  if (!(batchMaxWaitMs >= 0)) throw new RangeError(`batchMaxWaitMs must be >= 0, got ${batchMaxWaitMs}`);
  const pool = await InferenceThreadPool.start(
    {
      card: cardFile satisfies ModelCardFile,
      modelPath,
      executionProvider: options.executionProvider,
      intraOpThreads,
      batchSize,
      ...(sharedFramePaths && { sharedFramePaths }),
    },
    threads,
    { batchSize, maxWaitMs: batchMaxWaitMs },
  );
  return {
    card,
    modelId: card.id,
    dim: card.dim,
    sampleRate: card.sampleRate,
    async embed(samples, embedOptions = {}) {
      const windows = windowsOfClip(cardFile, samples.length);
      const vector = l2Normalise(await pool.embed(transferable(samples, embedOptions.transfer ?? false), windows));
      if (vector.length !== card.dim) {
        throw new EmbeddingError('MODEL_CARD_INVALID', `model ${card.id} gave ${vector.length} values; its card says ${card.dim}`);
      }
      return vector;
    },
    embedSegments: (samples, settings) => embedRecordingSegments(pool, cardFile, samples, settings),
    progressiveSegments: (settings) => new ProgressiveSegments(pool, cardFile, settings),
    stats: () => pool.stats(),
    close: () => pool.close(),
  };
}

/** An array whose whole buffer may be moved to another thread. */
function transferable(samples: Float32Array, transfer: boolean): Float32Array {
  const ownsWholeBuffer = samples.buffer instanceof ArrayBuffer && samples.byteOffset === 0 && samples.byteLength === samples.buffer.byteLength;
  return transfer && ownsWholeBuffer ? samples : samples.slice();
}
