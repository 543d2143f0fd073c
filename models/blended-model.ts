/**
 * A model of the default's make (models/build-default-model.ts): logmel-stats-v3's 258
 * statistics, of unit length, times sqrt(1 - w), beside a linear head, of unit length, times
 * sqrt(w), the head and w read from a committed head file (models/projection-head.ts). The
 * default and the earlier defaults of this make are each one head file and one id, so each
 * regenerates byte for byte under its id.
 */
import { readFileSync } from 'node:fs';
import { projectedModelGraph } from './build-projected-model.ts';
import { logMelSharedFrames, statisticsModelCard, STATISTICS_DIM } from './build-statistics-model.ts';
import { splitAtFrames, writeModelFiles } from './frame-split.ts';
import { framedFrontEnd } from './log-mel-front-end.ts';
import { encodeModel, floatValueInfo } from './onnx-builders.ts';
import { decodeLearnedProjection, projectedOutputDim, type LearnedProjection, type LearnedProjectionFile } from './projection-head.ts';

export interface BlendedModel {
  readonly dim: number;
  /** The card's fields, without `sharedFrames`. */
  readonly card: Omit<typeof statisticsModelCard, 'id' | 'description' | 'dim'> & { readonly id: string; readonly description: string; readonly dim: number };
  /** What `write` writes as card.json. */
  readonly cardFile: BlendedModel['card'] & { readonly sharedFrames: typeof logMelSharedFrames };
  build(): Uint8Array;
  /** The front end and head files of the card's `sharedFrames` (models/frame-split.ts). */
  split(): ReturnType<typeof splitAtFrames>;
  write(directory: string): void;
}

export function blendedModel(headFile: string, id: string, describe: (head: LearnedProjection, dim: number) => string): BlendedModel {
  const head = decodeLearnedProjection(JSON.parse(readFileSync(headFile, 'utf8')) as LearnedProjectionFile, headFile);
  if (head.headWeight === undefined) throw new Error(`${headFile}: a blended model mixes its head with v3 and needs headWeight`);
  const dim = projectedOutputDim(STATISTICS_DIM, head);
  const card = { ...statisticsModelCard, id, description: describe(head, dim), dim };
  // The split at the spectrogram is v3's: the baseline and the head read the same frames.
  const cardFile = { ...card, sharedFrames: logMelSharedFrames };
  const build = () =>
    encodeModel({
      graphName: id,
      docString: card.description,
      ...projectedModelGraph(head),
      inputs: [floatValueInfo('audio', ['batch', 'samples'])],
      outputs: [floatValueInfo('embedding', ['batch', dim])],
      opsetVersion: 17,
    });
  const split = () => splitAtFrames(projectedModelGraph(head), framedFrontEnd(), card, logMelSharedFrames);
  return { dim, card, cardFile, build, split, write: (directory) => writeModelFiles(directory, { model: build(), split: split(), card: cardFile }) };
}
