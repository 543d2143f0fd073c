import ort from 'onnxruntime-node';
import { assertAudible } from './audio-checks.ts';
import { loopToMinimumLength, planWindows, type AudioWindow } from './audio-windows.ts';
import { EmbeddingError } from './embedding-error.ts';
import { normalizeInPlace } from './input-normalization.ts';
import type { ModelCardFile } from './model-card.ts';
import { WindowPooler } from './window-pooling.ts';

/**
 * Windows per session.run: amortises the per-run overhead while bounding memory, which
 * matters for frame models (4 windows of 10 s through wav2vec2 give ~4 x 500 x 768 floats).
 */
const WINDOWS_PER_RUN = 4;

/**
 * The clip's embedding before normalisation: the mean over its windows of the model's
 * (frame-averaged) output. Runs wherever `session` lives: in practice an inference thread.
 */
export async function embedClip(session: ort.InferenceSession, card: ModelCardFile, clip: Float32Array): Promise<Float32Array> {
  assertAudible(clip);
  return runWindows(session, card, clip);
}

/** As `embedClip`, without refusing silence: also used to check a model at start-up. */
export async function runWindows(session: ort.InferenceSession, card: ModelCardFile, clip: Float32Array): Promise<Float32Array> {
  const samples = loopToMinimumLength(clip, Math.ceil(card.minSeconds * card.sampleRate));
  const windows = planWindows(samples.length, Math.round(card.windowSeconds * card.sampleRate), Math.round(card.hopSeconds * card.sampleRate));
  const pooler = new WindowPooler(card);
  for (let first = 0; first < windows.length; first += WINDOWS_PER_RUN) {
    const batch = windows.slice(first, first + WINDOWS_PER_RUN);
    const input = batchInput(samples, batch, card.inputNormalization);
    const output = await runModel(session, card, input, batch.length);
    pooler.add(output.data, output.dims);
  }
  return pooler.mean();
}

/** Windows of one batch all have the same length (see planWindows). */
function batchInput(samples: Float32Array, batch: readonly AudioWindow[], normalization: ModelCardFile['inputNormalization']): Float32Array {
  const windowLength = batch[0]!.length;
  const whole = batch.length === 1 && windowLength === samples.length;
  if (whole && normalization === 'none') return samples;
  const input = new Float32Array(batch.length * windowLength);
  batch.forEach((window, index) => {
    const target = input.subarray(index * windowLength, (index + 1) * windowLength);
    target.set(samples.subarray(window.start, window.start + window.length));
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
