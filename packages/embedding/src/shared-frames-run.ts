import ort from 'onnxruntime-node';
import { assertAudible } from './audio-checks.ts';
import { planWindows } from './audio-windows.ts';
import type { ClipOutcome, ModelCall } from './clip-embedding.ts';
import { EmbeddingError } from './embedding-error.ts';
import type { ModelCardFile } from './model-card.ts';
import { WindowPooler } from './window-pooling.ts';

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

/** For each of the card's frame outputs, a [clips or windows, frames, channels] tensor's data. */
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
    for (const group of groupBy(windows, (window) => window.length)) {
      const frameBatch = await windowFrames(sessions.frontEnd, card, run.samples, group, whole);
      const output = await runHead(sessions.head, card, frameBatch, group.length);
      const rowSize = output.data.length / group.length;
      const rowDims = [1, ...output.dims.slice(1)];
      group.forEach((window, row) => poolers[window.segment]!.add(output.data.subarray(row * rowSize, (row + 1) * rowSize), rowDims));
      calls.push({ windows: group.length, clips: new Set(group.map((window) => window.segment)).size });
    }
  } catch (error) {
    return { outcomes: run.starts.map((_, segment) => ({ error: errors[segment] ?? error })), calls };
  }
  return { outcomes: run.starts.map((_, segment) => (errors[segment] ? { error: errors[segment] } : { vector: poolers[segment]!.mean() })), calls };
}

/**
 * The frames of windows of one length, as the head takes them ([windows, frames, channels] for
 * each frame output): shared ones where they are the same, the front end on each window where
 * the split cannot serve it (not on the frame grid, or too short to have inner frames).
 */
async function windowFrames(
  frontEnd: ort.InferenceSession,
  card: ModelCardFile,
  samples: Float32Array,
  windows: readonly Window[],
  whole: Frames,
): Promise<Frames> {
  const { hopSamples: hop, reachSamples: reach, frameOutputs } = card.sharedFrames!;
  const length = windows[0]!.length;
  const frameCount = Math.floor(length / hop) + 1;
  // Frames [0, leadingEdge) see the padding before the window, [firstTrailing, frameCount) the padding after it.
  const leadingEdge = Math.ceil(reach / hop);
  const firstTrailing = Math.floor((length - reach) / hop) + 1;
  const headLength = leadingEdge * hop + reach;
  const tailStart = Math.floor((firstTrailing * hop - reach) / hop) * hop;
  const ownSamples = (from: number, to: number) => windows.map((window) => samples.subarray(window.start + from, window.start + to));
  const shareable = windows.every((window) => window.start % hop === 0) && firstTrailing > leadingEdge && length >= headLength && tailStart >= 0;
  if (!shareable) return frontEndFrames(frontEnd, card, ownSamples(0, length));
  const heads = await frontEndFrames(frontEnd, card, ownSamples(0, headLength));
  const tails = await frontEndFrames(frontEnd, card, ownSamples(tailStart, length));
  const headFrames = Math.floor(headLength / hop) + 1;
  const tailFrames = Math.floor((length - tailStart) / hop) + 1;
  return frameOutputs.map(({ channels }, output) => {
    const batch = new Float32Array(windows.length * frameCount * channels);
    windows.forEach((window, row) => {
      const at = row * frameCount * channels;
      const firstShared = window.start / hop;
      batch.set(heads[output]!.subarray(row * headFrames * channels, (row * headFrames + leadingEdge) * channels), at);
      batch.set(whole[output]!.subarray((firstShared + leadingEdge) * channels, (firstShared + firstTrailing) * channels), at + leadingEdge * channels);
      const tailFirst = row * tailFrames + firstTrailing - tailStart / hop;
      batch.set(tails[output]!.subarray(tailFirst * channels, (row + 1) * tailFrames * channels), at + firstTrailing * channels);
    });
    return batch;
  });
}

/** The front end on clips of equal length, in one call: each frame output as [clips, frames, channels]. */
async function frontEndFrames(session: ort.InferenceSession, card: ModelCardFile, clips: readonly Float32Array[]): Promise<Frames> {
  const frames = card.sharedFrames!;
  const length = clips[0]!.length;
  let input = clips[0]!;
  if (clips.length > 1) {
    input = new Float32Array(clips.length * length);
    clips.forEach((clip, row) => input.set(clip, row * length));
  }
  const expectedFrames = Math.floor(length / frames.hopSamples) + 1;
  let results: ort.InferenceSession.ReturnType;
  try {
    results = await session.run({ [card.inputName]: new ort.Tensor('float32', input, [clips.length, length]) });
  } catch (cause) {
    throw new EmbeddingError('INFERENCE_FAILED', `the front end of ${card.id} failed on a [${clips.length}, ${length}] input`, { cause });
  }
  return frames.frameOutputs.map(({ name, channels }) => {
    const tensor = results[name];
    if (!tensor || tensor.type !== 'float32' || tensor.dims.join() !== [clips.length, expectedFrames, channels].join()) {
      throw new EmbeddingError(
        'MODEL_CARD_INVALID',
        `the front end of ${card.id} gave "${name}" as [${tensor?.dims.join(', ') ?? ''}]; its card says [${clips.length}, ${expectedFrames}, ${channels}] for ${length} samples`,
      );
    }
    return tensor.data as Float32Array;
  });
}

async function runHead(
  session: ort.InferenceSession,
  card: ModelCardFile,
  frames: Frames,
  windows: number,
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  const feeds: Record<string, ort.Tensor> = {};
  card.sharedFrames!.frameOutputs.forEach(({ name, channels }, output) => {
    feeds[name] = new ort.Tensor('float32', frames[output]!, [windows, frames[output]!.length / windows / channels, channels]);
  });
  let results: ort.InferenceSession.ReturnType;
  try {
    results = await session.run(feeds, [card.outputName]);
  } catch (cause) {
    throw new EmbeddingError('INFERENCE_FAILED', `the head of ${card.id} failed on ${windows} windows`, { cause });
  }
  const output = results[card.outputName];
  if (!output || output.type !== 'float32')
    throw new EmbeddingError('MODEL_CARD_INVALID', `the head of ${card.id} gave no float32 output "${card.outputName}"`);
  return { data: output.data as Float32Array, dims: output.dims };
}

function groupBy<T>(items: readonly T[], key: (item: T) => number): T[][] {
  const groups = new Map<number, T[]>();
  for (const item of items) {
    const group = groups.get(key(item));
    if (group) group.push(item);
    else groups.set(key(item), [item]);
  }
  return [...groups.values()];
}
