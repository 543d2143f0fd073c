import { windowsOfClip } from './clip-embedding.ts';
import { EmbeddingError, isEmbeddingError } from './embedding-error.ts';
import { l2Normalise } from './l2-normalise.ts';
import type { ModelCardFile } from './model-card.ts';
import { planSegments, segmentSampleRange, type SegmentSettings, type SegmentSpan } from './segment-plan.ts';

/** The rows of one recording: `vectors` holds `segments.length` unit vectors of `dim`, in time order. */
export interface SegmentEmbeddings {
  readonly vectors: Float32Array;
  readonly segments: SegmentSpan[];
}

/**
 * Segments in flight per recording: bounds the copies of an hour-long recording held at once
 * (64 x 5 s at 16 kHz = 20 MB) while keeping every inference thread and batch busy. A new piece
 * of work starts as soon as one finishes, so a slow one does not hold the rest back.
 */
export const SEGMENTS_IN_FLIGHT = 64;
/**
 * Segments per run of the shared front end (docs/shared-frames.md). A run of n half-overlapping
 * segments computes n + 1 halves' frames instead of 2n; 16 saves 47% of the front end, and
 * SEGMENTS_IN_FLIGHT / 16 = 4 runs keep two inference threads fed.
 */
export const RUN_SEGMENTS = 16;

/**
 * What runs the model: the inference thread pool, or (bench/ingest's plain loop) sessions on the
 * calling thread. Both give pooled vectors that are not yet normalised.
 */
export interface SegmentExecutor {
  embed(samples: Float32Array, windows: number): Promise<Float32Array>;
  /** Needs a card with `sharedFrames`; `samples`' buffer may be detached. */
  embedRun(samples: Float32Array, starts: readonly number[], segmentSamples: number): Promise<(Float32Array | EmbeddingError)[]>;
}

/** One piece of work: some of the recording's segments, by index into its plan. */
interface Piece {
  readonly spans: readonly number[];
  embed(): Promise<(Float32Array | EmbeddingError)[]>;
}

/**
 * Unit embeddings of a recording's segments (docs/segments.md). Silent segments are left out;
 * a recording with nothing audible fails SILENT_AUDIO. With a card's `sharedFrames`, segments on
 * the front end's frame grid are embedded in runs that share it; the rest (a last segment aligned
 * to the end, a recording of one segment) alone, through the whole model. Both give the same vectors.
 */
export async function embedRecordingSegments(
  pool: SegmentExecutor,
  card: ModelCardFile,
  samples: Float32Array,
  settings: SegmentSettings,
  started?: StartedSegments,
): Promise<SegmentEmbeddings> {
  const spans = planSegments(samples.length, card.sampleRate, settings);
  const ranges = spans.map((span) => segmentSampleRange(span, card.sampleRate, samples.length));
  const results: (Float32Array | EmbeddingError)[] = new Array(spans.length);
  const pieces = planPieces(pool, card, samples, ranges, settings).filter((piece) => piece.spans[0]! >= (started?.count ?? 0));
  const running = new Set<Promise<void>>();
  let inFlight = 0;
  for (const piece of pieces) {
    while (running.size > 0 && inFlight + piece.spans.length > SEGMENTS_IN_FLIGHT) await Promise.race(running);
    inFlight += piece.spans.length;
    const done: Promise<void> = piece
      .embed()
      .then((outcomes) => outcomes.forEach((outcome, index) => (results[piece.spans[index]!] = outcome)))
      .catch((error: unknown) => piece.spans.forEach((span) => (results[span] = asEmbeddingError(error))))
      .finally(() => {
        inFlight -= piece.spans.length;
        running.delete(done);
      });
    running.add(done);
  }
  await Promise.all(running);
  if (started) (await started.results).forEach((result, span) => (results[span] = result));
  return keptSegments(card, spans, results);
}

/** The first `count` segments, already sent off while the recording was still being decoded (progressive-segments.ts). */
export interface StartedSegments {
  readonly count: number;
  readonly results: Promise<(Float32Array | EmbeddingError)[]>;
}

function planPieces(
  pool: SegmentExecutor,
  card: ModelCardFile,
  samples: Float32Array,
  ranges: readonly [number, number][],
  settings: SegmentSettings,
): Piece[] {
  const pieces: Piece[] = [];
  const alone = (span: number): Piece => ({
    spans: [span],
    embed: async () => {
      const [from, to] = ranges[span]!;
      const segment = samples.slice(from, to);
      return [await pool.embed(segment, windowsOfClip(card, segment.length))];
    },
  });
  const frames = card.sharedFrames;
  const segmentSamples = Math.round(settings.segmentSeconds * card.sampleRate);
  const shares = sharesFrames(card, settings);
  const onGrid = (span: number) => {
    const [from, to] = ranges[span]!;
    return frames !== undefined && shares && ranges.length > 1 && to - from === segmentSamples && from % frames.hopSamples === 0;
  };
  let run: number[] = [];
  const closeRun = () => {
    if (run.length === 1) pieces.push(alone(run[0]!));
    else if (run.length > 1) pieces.push(runPiece(pool, samples, ranges, run, segmentSamples));
    run = [];
  };
  ranges.forEach((_, span) => {
    if (!onGrid(span)) {
      closeRun();
      pieces.push(alone(span));
      return;
    }
    run.push(span);
    if (run.length === RUN_SEGMENTS) closeRun();
  });
  closeRun();
  return pieces;
}

/**
 * Whether segments of `settings` can share the card's frames. A segment shorter than the model's
 * minimum is looped up to it, which only the whole model does; segments that do not overlap have
 * no frames to share (measured slower: extra edge runs and copies).
 */
export function sharesFrames(card: ModelCardFile, settings: SegmentSettings): boolean {
  const segmentSamples = Math.round(settings.segmentSeconds * card.sampleRate);
  const hopSamples = Math.round(settings.hopSeconds * card.sampleRate);
  return card.sharedFrames !== undefined && segmentSamples >= Math.ceil(card.minSeconds * card.sampleRate) && hopSamples < segmentSamples;
}

function runPiece(pool: SegmentExecutor, samples: Float32Array, ranges: readonly [number, number][], spans: number[], segmentSamples: number): Piece {
  return {
    spans,
    embed: () => {
      const first = ranges[spans[0]!]![0];
      const last = ranges[spans[spans.length - 1]!]![1];
      const starts = spans.map((span) => ranges[span]![0] - first);
      return pool.embedRun(samples.slice(first, last), starts, segmentSamples);
    },
  };
}

function keptSegments(card: ModelCardFile, spans: readonly SegmentSpan[], results: readonly (Float32Array | EmbeddingError)[]): SegmentEmbeddings {
  const kept: { span: SegmentSpan; vector: Float32Array }[] = [];
  let silence: EmbeddingError | undefined;
  results.forEach((result, index) => {
    if (!(result instanceof EmbeddingError)) kept.push({ span: spans[index]!, vector: l2Normalise(result) });
    else if (result.code === 'SILENT_AUDIO') silence ??= result;
    else throw result;
  });
  if (kept.length === 0) throw silence ?? new EmbeddingError('SILENT_AUDIO', 'the recording has no audible segment');
  const vectors = new Float32Array(kept.length * card.dim);
  kept.forEach(({ vector }, row) => {
    if (vector.length !== card.dim) {
      throw new EmbeddingError('MODEL_CARD_INVALID', `model ${card.id} gave ${vector.length} values; its card says ${card.dim}`);
    }
    vectors.set(vector, row * card.dim);
  });
  return { vectors, segments: kept.map(({ span }) => span) };
}

/** `error` as an EmbeddingError: itself if it is one, else INFERENCE_FAILED with its message. */
export function asEmbeddingError(error: unknown): EmbeddingError {
  if (isEmbeddingError(error)) return error;
  return new EmbeddingError('INFERENCE_FAILED', error instanceof Error ? error.message : String(error), { cause: error });
}
