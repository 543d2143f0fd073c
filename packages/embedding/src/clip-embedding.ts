import ort from 'onnxruntime-node';
import { assertAudible } from './audio-checks.ts';
import { loopToMinimumLength, planWindows, windowCountOf } from './audio-windows.ts';
import { EmbeddingError } from './embedding-error.ts';
import { normalizeInPlace } from './input-normalization.ts';
import type { ModelCardFile } from './model-card.ts';
import { WindowPooler } from './window-pooling.ts';

/** What one session.run did: how many windows, from how many different clips. */
export interface ModelCall {
  readonly windows: number;
  readonly clips: number;
}

export type ClipOutcome = { readonly vector: Float32Array } | { readonly error: unknown };

interface PreparedClip {
  readonly samples: Float32Array;
  readonly pooler: WindowPooler;
  error?: unknown;
}

interface WindowRef {
  readonly clip: PreparedClip;
  readonly start: number;
  readonly length: number;
}

/**
 * Embeds several clips (each before normalisation: the mean over its windows of the
 * model's frame-averaged output) with as few model calls as possible. The model input is
 * [B, T], so only windows of equal length share a call: windows are grouped by length
 * across all clips, then run at most `batchSize` at a time. Every window of a long clip
 * has the window length (see planWindows), so long clips batch together; a clip shorter
 * than a window only shares a call with clips of exactly its length.
 * One clip's failure (silence, say) never fails the others.
 */
export async function embedClips(
  session: ort.InferenceSession,
  card: ModelCardFile,
  clips: readonly Float32Array[],
  batchSize: number,
  options: { refuseSilence?: boolean } = {},
): Promise<{ outcomes: ClipOutcome[]; calls: ModelCall[] }> {
  const prepared = clips.map((clip) => prepareClip(card, clip, options.refuseSilence ?? true));
  const groups = new Map<number, WindowRef[]>();
  for (const clip of prepared) {
    if (clip.error) continue;
    for (const window of planWindows(clip.samples.length, windowSamplesOf(card), hopSamplesOf(card))) {
      const group = groups.get(window.length) ?? [];
      group.push({ clip, ...window });
      groups.set(window.length, group);
    }
  }
  const calls: ModelCall[] = [];
  for (const [length, windows] of groups) {
    for (let first = 0; first < windows.length; first += batchSize) {
      const batch = windows.slice(first, first + batchSize).filter((window) => !window.clip.error);
      if (batch.length === 0) continue;
      try {
        const output = await runModel(session, card, batchInput(batch, length, card.inputNormalization), batch.length);
        const rowSize = output.data.length / batch.length;
        const rowDims = [1, ...output.dims.slice(1)];
        batch.forEach((window, row) => window.clip.pooler.add(output.data.subarray(row * rowSize, (row + 1) * rowSize), rowDims));
        calls.push({ windows: batch.length, clips: new Set(batch.map((window) => window.clip)).size });
      } catch (error) {
        for (const window of batch) window.clip.error ??= error;
      }
    }
  }
  return { outcomes: prepared.map((clip) => (clip.error ? { error: clip.error } : { vector: clip.pooler.mean() })), calls };
}

/** How many windows `embedClips` will cut a clip of `sampleCount` samples into. */
export function windowsOfClip(card: ModelCardFile, sampleCount: number): number {
  const looped = sampleCount === 0 ? 0 : Math.max(sampleCount, minimumSamplesOf(card));
  return windowCountOf(looped, windowSamplesOf(card), hopSamplesOf(card));
}

function prepareClip(card: ModelCardFile, clip: Float32Array, refuseSilence: boolean): PreparedClip {
  const pooler = new WindowPooler(card);
  try {
    if (refuseSilence) assertAudible(clip);
    return { samples: loopToMinimumLength(clip, minimumSamplesOf(card)), pooler };
  } catch (error) {
    return { samples: clip, pooler, error };
  }
}

const windowSamplesOf = (card: ModelCardFile) => Math.round(card.windowSeconds * card.sampleRate);
const hopSamplesOf = (card: ModelCardFile) => Math.round(card.hopSeconds * card.sampleRate);
const minimumSamplesOf = (card: ModelCardFile) => Math.ceil(card.minSeconds * card.sampleRate);

function batchInput(batch: readonly WindowRef[], windowLength: number, normalization: ModelCardFile['inputNormalization']): Float32Array {
  const input = new Float32Array(batch.length * windowLength);
  batch.forEach((window, index) => {
    const target = input.subarray(index * windowLength, (index + 1) * windowLength);
    target.set(window.clip.samples.subarray(window.start, window.start + window.length));
    normalizeInPlace(target, normalization);
  });
  return input;
}

async function runModel(
  session: ort.InferenceSession,
  card: ModelCardFile,
  input: Float32Array,
  batchSize: number,
): Promise<{ data: Float32Array; dims: readonly number[] }> {
  let results: ort.InferenceSession.ReturnType;
  try {
    const tensor = new ort.Tensor('float32', input, [batchSize, input.length / batchSize]);
    results = await session.run({ [card.inputName]: tensor }, [card.outputName]);
  } catch (cause) {
    throw new EmbeddingError('INFERENCE_FAILED', `model ${card.id} failed on a [${batchSize}, ${input.length / batchSize}] input`, { cause });
  }
  const output = results[card.outputName];
  if (!output || output.type !== 'float32') {
    throw new EmbeddingError('MODEL_CARD_INVALID', `model ${card.id} gave no float32 output "${card.outputName}"`);
  }
  return { data: output.data as Float32Array, dims: output.dims };
}
