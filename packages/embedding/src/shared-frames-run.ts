import ort from 'onnxruntime-node';
import { assertAudible } from './audio-checks.ts';
import { planWindows } from './audio-windows.ts';
import type { ClipOutcome, ModelCall } from './clip-embedding.ts';
import { EmbeddingError } from './embedding-error.ts';
import type { ModelCardFile } from './model-card.ts';
import { WindowPooler } from './window-pooling.ts';

type SharedFrames = NonNullable<ModelCardFile['sharedFrames']>;

/** Consecutive segments of one recording, all `segmentSamples` long, starting `starts` samples into `samples`. */
export interface SegmentRun {
  readonly samples: Float32Array;
  readonly starts: readonly number[];
  readonly segmentSamples: number;
}

export interface SplitSessions {
  readonly frontEnd: ort.InferenceSession;
  readonly head: ort.InferenceSession;
}

/** Per-frame tensors of one stretch of audio: for each of the card's frame outputs, [frames, channels]. */
type Frames = Float32Array[];

interface Window {
  readonly segment: number;
  readonly start: number;
  readonly length: number;
}

/**
 * Embeds a run of overlapping segments (docs/shared-frames.md): the front end runs once over the
 * whole run, and each window's frames are taken from that, except the few at each end that see
 * the front end's padding, which come from a short run of the front end on the window's own first
 * and last samples. The head then runs on every window's frames, and each segment's outcome is the
 * mean over its windows, as `embedClips` gives for the segment alone. A silent segment fails on
 * its own; the others go on.
 */
export async function embedSegmentRun(sessions: SplitSessions, card: ModelCardFile, run: SegmentRun): Promise<{ outcomes: ClipOutcome[]; calls: ModelCall[] }> {
  const frames = card.sharedFrames!;
  const poolers = run.starts.map(() => new WindowPooler(card));
  const errors: unknown[] = run.starts.map(() => undefined);
  const windows: Window[] = [];
  run.starts.forEach((start, segment) => {
    try {
      assertAudible(run.samples.subarray(start, start + run.segmentSamples));
    } catch (error) {
      errors[segment] = error;
      return;
    }
    const windowSamples = Math.round(card.windowSeconds * card.sampleRate);
    const hopSamples = Math.round(card.hopSeconds * card.sampleRate);
    for (const window of planWindows(run.segmentSamples, windowSamples, hopSamples))
      windows.push({ segment, start: start + window.start, length: window.length });
  });
  const calls: ModelCall[] = [];
  try {
    const whole = await frontEndFrames(sessions.frontEnd, card, [run.samples]);
    const assembled = await windowFrames(sessions.frontEnd, card, frames, run.samples, windows, whole[0]!);
    for (const batch of byFrameCount(windows, assembled)) {
      const output = await runHead(
        sessions.head,
        card,
        frames,
        batch.map((index) => assembled[index]!),
      );
      const rowSize = output.data.length / batch.length;
      const rowDims = [1, ...output.dims.slice(1)];
      batch.forEach((index, row) => poolers[windows[index]!.segment]!.add(output.data.subarray(row * rowSize, (row + 1) * rowSize), rowDims));
      calls.push({ windows: batch.length, clips: new Set(batch.map((index) => windows[index]!.segment)).size });
    }
  } catch (error) {
    return { outcomes: run.starts.map((_, segment) => ({ error: errors[segment] ?? error })), calls };
  }
  return { outcomes: run.starts.map((_, segment) => (errors[segment] ? { error: errors[segment] } : { vector: poolers[segment]!.mean() })), calls };
}

/** Each window's frames: shared ones where they are the same, the front end on the window where they are not. */
async function windowFrames(
  frontEnd: ort.InferenceSession,
  card: ModelCardFile,
  frames: SharedFrames,
  samples: Float32Array,
  windows: readonly Window[],
  whole: Frames,
): Promise<Frames[]> {
  const { hopSamples: hop, reachSamples: reach } = frames;
  const leadingEdge = Math.ceil(reach / hop);
  const headLength = leadingEdge * hop + reach;
  const result: Frames[] = new Array(windows.length);
  const shareable: number[] = [];
  const alone: number[] = [];
  windows.forEach((window, index) => {
    const frameCount = Math.floor(window.length / hop) + 1;
    const firstTrailing = Math.floor((window.length - reach) / hop) + 1;
    const aligned = window.start % hop === 0;
    (aligned && firstTrailing > leadingEdge && window.length >= headLength && firstTrailing * hop - reach >= 0 && frameCount > firstTrailing
      ? shareable
      : alone
    ).push(index);
  });
  // Windows the split cannot serve (not on the frame grid, or too short to have inner frames) run the front end alone.
  for (const group of groupBy(alone, (index) => windows[index]!.length)) {
    const ran = await frontEndFrames(
      frontEnd,
      card,
      group.map((index) => samples.subarray(windows[index]!.start, windows[index]!.start + windows[index]!.length)),
    );
    group.forEach((index, row) => (result[index] = ran[row]!));
  }
  for (const group of groupBy(shareable, (index) => windows[index]!.length)) {
    const length = windows[group[0]!]!.length;
    const frameCount = Math.floor(length / hop) + 1;
    const firstTrailing = Math.floor((length - reach) / hop) + 1;
    const tailStart = Math.floor((firstTrailing * hop - reach) / hop) * hop;
    const heads = await frontEndFrames(
      frontEnd,
      card,
      group.map((index) => samples.subarray(windows[index]!.start, windows[index]!.start + headLength)),
    );
    const tails = await frontEndFrames(
      frontEnd,
      card,
      group.map((index) => samples.subarray(windows[index]!.start + tailStart, windows[index]!.start + length)),
    );
    group.forEach((index, row) => {
      const firstShared = windows[index]!.start / hop;
      result[index] = frames.frameOutputs.map(({ channels }, output) => {
        const assembled = new Float32Array(frameCount * channels);
        assembled.set(heads[row]![output]!.subarray(0, leadingEdge * channels), 0);
        assembled.set(whole[output]!.subarray((firstShared + leadingEdge) * channels, (firstShared + firstTrailing) * channels), leadingEdge * channels);
        assembled.set(tails[row]![output]!.subarray((firstTrailing - tailStart / hop) * channels), firstTrailing * channels);
        return assembled;
      });
    });
  }
  return result;
}

/** The front end on clips of equal length, one call: per clip, its frames. */
async function frontEndFrames(session: ort.InferenceSession, card: ModelCardFile, clips: readonly Float32Array[]): Promise<Frames[]> {
  const frames = card.sharedFrames!;
  const length = clips[0]!.length;
  const input = new Float32Array(clips.length * length);
  clips.forEach((clip, row) => input.set(clip, row * length));
  const expectedFrames = Math.floor(length / frames.hopSamples) + 1;
  let results: ort.InferenceSession.ReturnType;
  try {
    results = await session.run({ [card.inputName]: new ort.Tensor('float32', input, [clips.length, length]) });
  } catch (cause) {
    throw new EmbeddingError('INFERENCE_FAILED', `the front end of ${card.id} failed on a [${clips.length}, ${length}] input`, { cause });
  }
  const outputs = frames.frameOutputs.map(({ name, channels }) => {
    const tensor = results[name];
    if (!tensor || tensor.type !== 'float32' || tensor.dims.join() !== [clips.length, expectedFrames, channels].join()) {
      throw new EmbeddingError(
        'MODEL_CARD_INVALID',
        `the front end of ${card.id} gave "${name}" as [${tensor?.dims.join(', ') ?? ''}]; its card says [${clips.length}, ${expectedFrames}, ${channels}] for ${length} samples`,
      );
    }
    return tensor.data as Float32Array;
  });
  return clips.map((_, row) =>
    frames.frameOutputs.map(({ channels }, output) => outputs[output]!.subarray(row * expectedFrames * channels, (row + 1) * expectedFrames * channels)),
  );
}

async function runHead(
  session: ort.InferenceSession,
  card: ModelCardFile,
  frames: SharedFrames,
  windows: readonly Frames[],
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const feeds: Record<string, ort.Tensor> = {};
  frames.frameOutputs.forEach(({ name, channels }, output) => {
    const perWindow = windows[0]![output]!.length;
    const input = new Float32Array(windows.length * perWindow);
    windows.forEach((window, row) => input.set(window[output]!, row * perWindow));
    feeds[name] = new ort.Tensor('float32', input, [windows.length, perWindow / channels, channels]);
  });
  let results: ort.InferenceSession.ReturnType;
  try {
    results = await session.run(feeds, [card.outputName]);
  } catch (cause) {
    throw new EmbeddingError('INFERENCE_FAILED', `the head of ${card.id} failed on ${windows.length} windows`, { cause });
  }
  const output = results[card.outputName];
  if (!output || output.type !== 'float32')
    throw new EmbeddingError('MODEL_CARD_INVALID', `the head of ${card.id} gave no float32 output "${card.outputName}"`);
  return { data: output.data as Float32Array, dims: output.dims };
}

/** Indexes of windows with the same frame count, in order. */
function byFrameCount(windows: readonly Window[], assembled: readonly Frames[]): number[][] {
  return groupBy(
    windows.map((_, index) => index),
    (index) => assembled[index]![0]!.length,
  );
}

function groupBy(indexes: readonly number[], key: (index: number) => number): number[][] {
  const groups = new Map<number, number[]>();
  for (const index of indexes) groups.set(key(index), [...(groups.get(key(index)) ?? []), index]);
  return [...groups.values()];
}
