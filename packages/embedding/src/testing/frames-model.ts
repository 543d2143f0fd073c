import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

export const FRAME_SIZE = 8;

/**
 * Weights of the tiny frames model: last_hidden_state[b, f, :] = frame[b, f, :] x W, where
 * the frames are consecutive runs of FRAME_SIZE samples. Integers, so they are exact in float32.
 */
const frameWeights: number[] = Array.from({ length: FRAME_SIZE * FRAME_SIZE }, (_, i) => ((i * 7) % 11) - 5);

/**
 * Writes a stand-in for a Hugging Face wav2vec2 export (input_values [B, T] ->
 * last_hidden_state [B, F, D]) and returns the path of its card. T must be a multiple of
 * FRAME_SIZE.
 */
export function writeFramesModel(directory: string, cardOverrides: Record<string, unknown> = {}): string {
  mkdirSync(directory, { recursive: true });
  const { DataType } = onnx.TensorProto;
  const float32 = new Uint8Array(Float32Array.from(frameWeights).buffer);
  const int64 = new Uint8Array(BigInt64Array.from([0n, -1n, BigInt(FRAME_SIZE)]).buffer);
  const tensorType = (dims: (number | string)[]) => ({
    tensorType: {
      elemType: DataType.FLOAT,
      shape: { dim: dims.map((dim) => (typeof dim === 'string' ? { dimParam: dim } : { dimValue: dim })) },
    },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'tiny-frames',
      node: [
        { opType: 'Reshape', input: ['input_values', 'frame_shape'], output: ['frames'] },
        { opType: 'MatMul', input: ['frames', 'weights'], output: ['last_hidden_state'] },
      ],
      initializer: [
        { name: 'frame_shape', dims: [3], dataType: DataType.INT64, rawData: int64 },
        { name: 'weights', dims: [FRAME_SIZE, FRAME_SIZE], dataType: DataType.FLOAT, rawData: float32 },
      ],
      input: [{ name: 'input_values', type: tensorType(['batch', 'samples']) }],
      output: [{ name: 'last_hidden_state', type: tensorType(['batch', 'frames', FRAME_SIZE]) }],
    },
  });
  writeFileSync(join(directory, 'encoder.onnx'), onnx.ModelProto.encode(model).finish());
  const card = {
    id: 'tiny-frames',
    file: 'encoder.onnx',
    sampleRate: 16_000,
    inputName: 'input_values',
    outputName: 'last_hidden_state',
    outputKind: 'frames',
    dim: FRAME_SIZE,
    windowSeconds: 4,
    hopSeconds: 2,
    minSeconds: 0.5,
    ...cardOverrides,
  };
  const cardPath = join(directory, 'card.json');
  writeFileSync(cardPath, JSON.stringify(card, null, 2));
  return cardPath;
}

/** What the tiny model's frames average to for one window: (mean frame) x W. */
export function expectedWindowMean(window: Float32Array): Float64Array {
  const meanFrame = new Float64Array(FRAME_SIZE);
  const frames = window.length / FRAME_SIZE;
  for (let i = 0; i < window.length; i++) meanFrame[i % FRAME_SIZE]! += window[i]! / frames;
  const projected = new Float64Array(FRAME_SIZE);
  for (let row = 0; row < FRAME_SIZE; row++) {
    for (let column = 0; column < FRAME_SIZE; column++) projected[column]! += meanFrame[row]! * frameWeights[row * FRAME_SIZE + column]!;
  }
  return projected;
}
