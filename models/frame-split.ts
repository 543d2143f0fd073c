/**
 * Cuts a generated model at its spectrogram into a front end (audio -> per-frame tensors) and a
 * head (those frames -> embedding), written beside model.onnx and named in the card's
 * `sharedFrames` (docs/shared-frames.md). The embedder then computes a recording's spectrogram
 * once and runs only the head per segment: with segments overlapping by half, every frame was
 * otherwise computed twice, and the spectrogram is ~96% of the model's time on a 2.5 s segment.
 * Both halves hold the full model's own nodes, so head(frontEnd(x)) is the same arithmetic as
 * model(x).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type onnxProto from 'onnx-proto';
import { encodeModel, floatValueInfo } from './onnx-builders.ts';

/** What a card's `sharedFrames` says about a front end of this kind (models/log-mel-front-end.ts). */
export interface SharedFramesCard {
  readonly frontEndFile: string;
  readonly headFile: string;
  /** The front end's outputs and the head's inputs, each [B, frames, channels]. */
  readonly frameOutputs: readonly { readonly name: string; readonly channels: number }[];
  readonly hopSamples: number;
  readonly reachSamples: number;
}

interface GraphPart {
  readonly nodes: onnxProto.onnx.INodeProto[];
  readonly initializers: onnxProto.onnx.ITensorProto[];
}

export interface SplitModel {
  readonly frontEnd: Uint8Array;
  readonly head: Uint8Array;
}

/**
 * `graph` is the whole model (its first nodes and initializers are `frontEnd`'s), from input
 * `inputName` [B, T] to `outputName` [B, outputDim].
 */
export function splitAtFrames(
  graph: GraphPart,
  frontEnd: GraphPart,
  card: { readonly id: string; readonly inputName: string; readonly outputName: string; readonly dim: number },
  frames: SharedFramesCard,
): SplitModel {
  const frontEndNodes = new Set(frontEnd.nodes.map((node) => node.name));
  const frontEndInitializers = new Set(frontEnd.initializers.map((tensor) => tensor.name));
  const headNodes = graph.nodes.filter((node) => !frontEndNodes.has(node.name));
  const headInputs = new Set(headNodes.flatMap((node) => node.input ?? []));
  const frameInputs = frames.frameOutputs.map(({ name, channels }) => floatValueInfo(name, ['batch', 'frames', channels]));
  return {
    frontEnd: encodeModel({
      graphName: `${card.id}/front-end`,
      docString: `Front end of ${card.id}: audio to per-frame tensors (models/frame-split.ts).`,
      nodes: frontEnd.nodes,
      initializers: frontEnd.initializers,
      inputs: [floatValueInfo(card.inputName, ['batch', 'samples'])],
      outputs: frameInputs,
      opsetVersion: 17,
    }),
    head: encodeModel({
      graphName: `${card.id}/head`,
      docString: `Head of ${card.id}: per-frame tensors to the embedding (models/frame-split.ts).`,
      nodes: headNodes,
      // A front-end constant the head also reads (none today) stays in the head.
      initializers: graph.initializers.filter((tensor) => !frontEndInitializers.has(tensor.name) || headInputs.has(tensor.name!)),
      inputs: frameInputs,
      outputs: [floatValueInfo(card.outputName, ['batch', card.dim])],
      opsetVersion: 17,
    }),
  };
}

/** A model's files in `directory`: the whole model, its front end and head, and card.json. */
export function writeModelFiles(
  directory: string,
  files: {
    readonly model: Uint8Array;
    readonly split: SplitModel;
    readonly card: Readonly<Record<string, unknown>> & { readonly file: string; readonly sharedFrames: SharedFramesCard };
  },
): void {
  mkdirSync(directory, { recursive: true });
  writeFileSync(resolve(directory, files.card.file), files.model);
  writeFileSync(resolve(directory, files.card.sharedFrames.frontEndFile), files.split.frontEnd);
  writeFileSync(resolve(directory, files.card.sharedFrames.headFile), files.split.head);
  writeFileSync(resolve(directory, 'card.json'), `${JSON.stringify(files.card, null, 2)}\n`);
}
