import { melFilterbank } from './mel-filterbank.ts';
import { floatTensor, int64Tensor, node } from './onnx-builders.ts';

/**
 * The spectrogram every generated model shares, so the default model and the bench's
 * baseline differ only in what they compute from it. For `audio` [B, T] mono float32 at
 * 16 kHz: reflect-pad 256 samples each side (STFT-17 does not centre frames; torch/librosa
 * `center=True` does), STFT with n_fft 512, a 400-sample periodic Hann window zero-padded
 * to 512 and hop 160 (10 ms), power spectrum `power` [B, F, 257], and `mel_power` [B, F, 64]:
 * HTK mel bands from 20 Hz to 8 kHz.
 */
export const SAMPLE_RATE = 16_000;
export const MEL_BANDS = 64;
const FFT_SIZE = 512;
const WINDOW_LENGTH = 400;
const HOP_LENGTH = 160;
/** Frame j is centred on sample j x hop and reads at most this far either side (half the FFT). */
export const FRAME_HOP_SAMPLES = HOP_LENGTH;
export const FRAME_REACH_SAMPLES = FFT_SIZE / 2;
/**
 * The per-frame outputs of `framedFrontEnd`, which a head built on it takes as inputs: each
 * frame's mean power per FFT bin and its mel powers (66 values a frame; the 257-bin power
 * spectrum itself would make the frames a head is fed four times larger).
 */
export const FRAME_OUTPUTS = [
  { name: 'frame_power', channels: 1 },
  { name: 'mel_power', channels: MEL_BANDS },
] as const;

const melWeights = melFilterbank({ sampleRate: SAMPLE_RATE, fftSize: FFT_SIZE, melBands: MEL_BANDS, lowHz: 20, highHz: 8000 });

/** Sum of each band's filter weights: its width in FFT bins. */
export function bandWidths(): number[] {
  const widths = new Array<number>(MEL_BANDS).fill(0);
  melWeights.forEach((weight, index) => (widths[index % MEL_BANDS]! += weight));
  return widths;
}

export function logMelFrontEnd() {
  const pad = FFT_SIZE / 2;
  const windowPad = (FFT_SIZE - WINDOW_LENGTH) / 2;
  const initializers = [
    int64Tensor('centre_pads', [4], [0, pad, 0, pad]),
    int64Tensor('window_length', [], [WINDOW_LENGTH]),
    int64Tensor('window_pads', [2], [windowPad, windowPad]),
    int64Tensor('hop_length', [], [HOP_LENGTH]),
    int64Tensor('fft_size', [], [FFT_SIZE]),
    int64Tensor('channel_axis', [1], [2]),
    int64Tensor('complex_axis', [1], [-1]),
    floatTensor('mel_weights', [FFT_SIZE / 2 + 1, MEL_BANDS], melWeights),
  ];
  const nodes = [
    node('Pad', ['audio', 'centre_pads'], ['centred'], { mode: 'reflect' }),
    node('Unsqueeze', ['centred', 'channel_axis'], ['signal']),
    node('HannWindow', ['window_length'], ['hann'], { periodic: 1, output_datatype: 1 }),
    node('Pad', ['hann', 'window_pads'], ['window']),
    node('STFT', ['signal', 'hop_length', 'window', 'fft_size'], ['spectrum'], { onesided: 1 }),
    node('Mul', ['spectrum', 'spectrum'], ['spectrum_squared']),
    node('ReduceSum', ['spectrum_squared', 'complex_axis'], ['power'], { keepdims: 0 }),
    node('MatMul', ['power', 'mel_weights'], ['mel_power']),
  ];
  return { initializers, nodes };
}

/** `logMelFrontEnd` plus `frame_power` [B, F, 1], each frame's mean power per FFT bin. */
export function framedFrontEnd() {
  const frontEnd = logMelFrontEnd();
  return { initializers: frontEnd.initializers, nodes: [...frontEnd.nodes, node('ReduceMean', ['power'], ['frame_power'], { axes: [2], keepdims: 1 })] };
}

/** Mean and population std over frames (axis 1) of a [B, F, bands] tensor, kept as [B, 1, bands]. */
export function bandStatistics(input: string, meanName: string, stdName: string) {
  return [
    node('ReduceMean', [input], [meanName], { axes: [1], keepdims: 1 }),
    node('Sub', [input, meanName], [`${input}_deviation`]),
    node('Mul', [`${input}_deviation`, `${input}_deviation`], [`${input}_squared_deviation`]),
    node('ReduceMean', [`${input}_squared_deviation`], [`${input}_variance`], { axes: [1], keepdims: 1 }),
    node('Sqrt', [`${input}_variance`], [stdName]),
  ];
}
