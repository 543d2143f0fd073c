import type ort from 'onnxruntime-node';
import { embedClips } from './clip-embedding.ts';
import { EmbeddingError } from './embedding-error.ts';
import { l2Normalise } from './l2-normalise.ts';
import type { ModelCardFile } from './model-card.ts';
import { embedSegmentRun, type SplitSessions } from './shared-frames-run.ts';

/**
 * Largest difference allowed, per value of a unit vector, between a segment embedded by the
 * whole model and by the split. float32 sums over frames differ by ~1e-7 between the two; a
 * front end whose frames are not local (normalised by the clip, say) differs by far more.
 */
const TOLERANCE = 1e-5;

/**
 * Fails at start, not on the first recording, when a card's `sharedFrames` do not reproduce its
 * model: a probe (a gliding tone over noise that changes level, so every frame differs) is cut
 * into three overlapping segments on the frame grid, and each is embedded both ways.
 */
export async function checkSharedFrames(session: ort.InferenceSession, split: SplitSessions, card: ModelCardFile): Promise<void> {
  const { hopSamples: hop, reachSamples: reach } = card.sharedFrames!;
  const gridUp = (samples: number) => Math.ceil(samples / hop) * hop;
  const segmentSamples = gridUp(Math.max(Math.ceil(card.minSeconds * card.sampleRate), 8 * reach, 4 * hop));
  const segmentHop = gridUp(segmentSamples / 2);
  const starts = [0, segmentHop, 2 * segmentHop];
  const samples = probe(2 * segmentHop + segmentSamples, card.sampleRate);
  const whole = await embedClips(
    session,
    card,
    starts.map((start) => samples.slice(start, start + segmentSamples)),
    1,
  );
  let viaSplit: Awaited<ReturnType<typeof embedSegmentRun>>;
  try {
    viaSplit = await embedSegmentRun(split, card, { samples, starts, segmentSamples });
  } catch (cause) {
    throw new EmbeddingError('MODEL_CARD_INVALID', `card ${card.id}: its sharedFrames front end and head do not run`, { cause });
  }
  starts.forEach((start, segment) => {
    const expected = whole.outcomes[segment]!;
    const actual = viaSplit.outcomes[segment]!;
    if ('error' in expected) throw expected.error;
    if ('error' in actual) {
      const reason = actual.error instanceof Error ? actual.error.message : String(actual.error);
      throw new EmbeddingError('MODEL_CARD_INVALID', `card ${card.id}: its sharedFrames failed on a probe: ${reason}`, { cause: actual.error });
    }
    const [a, b] = [l2Normalise(expected.vector), l2Normalise(actual.vector)];
    const worst = a.reduce((max, value, d) => Math.max(max, Math.abs(value - (b[d] ?? Number.NaN))), 0);
    if (!(worst <= TOLERANCE) || a.length !== b.length) {
      throw new EmbeddingError(
        'MODEL_CARD_INVALID',
        `card ${card.id}: its sharedFrames front end and head do not reproduce the model (a probe segment at sample ${start} differs by ${worst.toExponential(2)}); are its frames local, ${hop} samples apart, reaching ${reach} either side?`,
      );
    }
  });
}

function probe(length: number, sampleRate: number): Float32Array {
  const samples = new Float32Array(length);
  let state = 12345;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    const noise = state / 2 ** 32 - 0.5;
    const t = i / sampleRate;
    const level = 0.2 + 0.15 * Math.sin(2 * Math.PI * 1.7 * t);
    samples[i] = level * Math.sin(2 * Math.PI * (300 * t + 900 * t * t)) + 0.05 * noise;
  }
  return samples;
}
