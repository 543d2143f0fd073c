import fs from 'node:fs/promises';
import { AppError } from '@audio-index/shared';
import { decodeAudioFile, type DecodeOptions } from './decode-audio.ts';
import { resamplerFor } from './decode-resample.ts';
import { parseWav, type WavLayout } from './decode-wav-header.ts';

/**
 * Decodes `filePath` as `decodeAudioFile` does, without a process where that gives ffmpeg's
 * samples: a RIFF/WAVE file of 16-bit PCM or 32-bit float,
 * - mono at `sampleRate`: ffmpeg's conversion is `s16 / 32768` (float passes through), so the
 *   data chunk gives the same samples bit for bit;
 * - mono, or stereo downmixed as ffmpeg does (`(L + R) * sqrt(1/2)`), at another rate:
 *   converted by decode-resample.ts, equal to ffmpeg's to one float rounding.
 * decode-audio-in-process.test.ts and decode-resample.test.ts compare both with ffmpeg.
 * Everything else (other codecs, sample formats, channel counts, stereo at `sampleRate` (ffmpeg
 * mixes that in fixed point), any WAV this parser is not sure of, and conversions too large
 * to run on the caller's event loop) goes to ffmpeg with its demuxer whitelist. An ffmpeg
 * process costs ~80-100 ms on an idle 2-core machine (it loads ~200 shared libraries before
 * reading a byte) and seconds with several at once on busy cores: more than embedding a short clip.
 */
export async function decodeAudio(filePath: string, options: DecodeOptions): Promise<Float32Array> {
  if (options.signal?.aborted) throw new AppError('REQUEST_ABORTED', 'the request was abandoned by its client');
  const samples = await readWavInProcess(filePath, options);
  return samples ?? decodeAudioFile(filePath, options);
}

/** Enough for the RIFF header, `fmt ` and the usual `LIST`/`fact` chunks before `data`. */
const HEADER_BYTES = 4096;

/**
 * Most multiply-adds a conversion may run on the event loop (~0.1-0.3 s of one core): about a
 * minute of 8 kHz audio. Longer recordings go to ffmpeg, whose start-up is small beside their
 * embedding.
 */
const MAX_IN_PROCESS_CONVERSION = 32_000_000;

type Plan = { kind: 'copy' } | { kind: 'resample'; convert: (mono: Float32Array) => Float32Array };

/** Exported for tests: how `layout` would be decoded in process at `sampleRate`, or `undefined` for ffmpeg. */
function inProcessPlan(layout: WavLayout, sampleRate: number): Plan | undefined {
  if (layout.rate === sampleRate) return layout.channels === 1 ? { kind: 'copy' } : undefined;
  const resampler = resamplerFor(layout.rate, sampleRate);
  if (!resampler) return undefined;
  const frames = layout.dataBytes / layout.bytesPerFrame;
  if (frames < resampler.minInputSamples || frames * resampler.costPerInputSample > MAX_IN_PROCESS_CONVERSION) return undefined;
  return { kind: 'resample', convert: (mono) => resampler.resample(mono) };
}

/** Exported for tests: whether `head` (the file's first bytes) is a WAV decoded in process at `sampleRate`. */
export function isDecodedInProcess(head: Buffer, fileSize: number, sampleRate: number): boolean {
  const layout = parseWav(head, fileSize);
  return layout !== undefined && inProcessPlan(layout, sampleRate) !== undefined;
}

/** The samples of a WAV this module decodes, or `undefined` when ffmpeg must decode it. */
async function readWavInProcess(filePath: string, options: DecodeOptions): Promise<Float32Array | undefined> {
  const file = await fs.open(filePath, 'r');
  try {
    const { size } = await file.stat();
    const head = Buffer.alloc(Math.min(HEADER_BYTES, size));
    await file.read(head, 0, head.length, 0);
    const layout = parseWav(head, size);
    const plan = layout && inProcessPlan(layout, options.sampleRate);
    if (!layout || !plan) return undefined;
    const frames = Math.floor(layout.dataBytes / layout.bytesPerFrame);
    // The same cap and code as the ffmpeg path (output samples past maxSeconds), checked
    // before reading anything when the input is already too long at its own rate.
    const maxSamples = Math.ceil(options.maxSeconds * options.sampleRate);
    if (frames > Math.ceil(options.maxSeconds * layout.rate) + 1) throw tooLong(options);
    const data = Buffer.alloc(frames * layout.bytesPerFrame);
    const { bytesRead } = await file.read(data, 0, data.length, layout.dataOffset);
    if (bytesRead !== data.length) return undefined;
    const mono = monoSamples(data, layout, frames);
    const samples = plan.kind === 'copy' ? mono : plan.convert(mono);
    if (samples.length > maxSamples) throw tooLong(options);
    return samples;
  } finally {
    await file.close();
  }
}

const tooLong = (options: DecodeOptions) => new AppError('TOO_LONG', `audio is longer than ${options.maxSeconds} s`);

/** ffmpeg's float samples: `s16 / 32768`; two channels mixed with its stereo-to-mono weight, in single precision. */
function monoSamples(data: Buffer, layout: WavLayout, frames: number): Float32Array {
  const samples = new Float32Array(frames);
  if (layout.channels === 1 && layout.format === 'float32') {
    data.copy(Buffer.from(samples.buffer), 0, 0, frames * 4);
    return samples;
  }
  // Typed-array views read ~30x faster than a readInt16LE call per sample (0.7 s of a worker's main
  // thread for ten 2-minute WAVs). They need an aligned start, and x86 and ARM are little-endian,
  // as WAV is; a misaligned buffer is copied once to get one.
  const width = layout.format === 'pcm16' ? 2 : 4;
  const aligned = data.byteOffset % width === 0 ? data : Buffer.from(data);
  const values = Math.floor(aligned.length / width);
  const view =
    layout.format === 'pcm16' ? new Int16Array(aligned.buffer, aligned.byteOffset, values) : new Float32Array(aligned.buffer, aligned.byteOffset, values);
  const scale = layout.format === 'pcm16' ? 1 / 32768 : 1;
  if (layout.channels === 1) {
    for (let i = 0; i < frames; i++) samples[i] = view[i]! * scale;
    return samples;
  }
  const stride = layout.bytesPerFrame / width;
  for (let i = 0; i < frames; i++) {
    const first = i * stride;
    samples[i] = Math.fround(Math.fround(view[first]! * scale) * STEREO_TO_MONO) + Math.fround(Math.fround(view[first + 1]! * scale) * STEREO_TO_MONO);
  }
  return samples;
}

/** swr's matrix weight of each of L and R in a mono downmix (measured: equal to ffmpeg's output to 5e-8). */
const STEREO_TO_MONO = Math.fround(Math.SQRT1_2);
