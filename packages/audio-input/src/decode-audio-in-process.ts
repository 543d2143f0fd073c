import fs from 'node:fs/promises';
import { AppError } from '@audio-index/shared';
import { decodeAudioFile, type DecodeOptions } from './decode-audio.ts';

/**
 * Decodes `filePath` as `decodeAudioFile` does, without a process when that is exact: a
 * RIFF/WAVE file of mono 16-bit PCM or 32-bit float already at `sampleRate` needs no resampling
 * or downmix, and ffmpeg's conversion of it to f32le is `s16 / 32768` (float input passes
 * through), so reading the data chunk gives the same samples bit for bit
 * (decode-audio-in-process.test.ts compares with ffmpeg). Everything else — other rates,
 * channels, sample formats, containers, and any WAV this parser is not sure of — goes to
 * ffmpeg with its demuxer whitelist. Spawning ffmpeg costs ~20-40 ms per item on these
 * machines, about as much as embedding a 5 s clip.
 */
export async function decodeAudio(filePath: string, options: DecodeOptions): Promise<Float32Array> {
  if (options.signal?.aborted) throw new AppError('REQUEST_ABORTED', 'the request was abandoned by its client');
  const samples = await readPlainWav(filePath, options);
  return samples ?? decodeAudioFile(filePath, options);
}

/** Enough for the RIFF header, `fmt ` and the usual `LIST`/`fact` chunks before `data`. */
const HEADER_BYTES = 4096;

interface PlainWav {
  format: 'pcm16' | 'float32';
  dataOffset: number;
  dataBytes: number;
}

/** The samples of a plain WAV at `sampleRate`, or `undefined` when ffmpeg must decode it. */
async function readPlainWav(filePath: string, options: DecodeOptions): Promise<Float32Array | undefined> {
  const file = await fs.open(filePath, 'r');
  try {
    const { size } = await file.stat();
    const head = Buffer.alloc(Math.min(HEADER_BYTES, size));
    await file.read(head, 0, head.length, 0);
    const wav = parsePlainWav(head, size, options.sampleRate);
    if (!wav) return undefined;
    const bytesPerSample = wav.format === 'pcm16' ? 2 : 4;
    const count = Math.floor(wav.dataBytes / bytesPerSample);
    // The same cap and code as the ffmpeg path, checked before reading anything.
    if (count > Math.ceil(options.maxSeconds * options.sampleRate)) throw new AppError('TOO_LONG', `audio is longer than ${options.maxSeconds} s`);
    const data = Buffer.alloc(count * bytesPerSample);
    const { bytesRead } = await file.read(data, 0, data.length, wav.dataOffset);
    if (bytesRead !== data.length) return undefined;
    const samples = new Float32Array(count);
    if (wav.format === 'float32') {
      data.copy(Buffer.from(samples.buffer), 0, 0, data.length);
    } else {
      for (let i = 0; i < count; i++) samples[i] = data.readInt16LE(i * 2) / 32768;
    }
    return samples;
  } finally {
    await file.close();
  }
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;

/** Exported for tests. `undefined` for anything but a mono PCM16/float32 WAV at `sampleRate` with a whole data chunk. */
export function parsePlainWav(head: Buffer, fileSize: number, sampleRate: number): PlainWav | undefined {
  if (head.length < 12 || head.toString('latin1', 0, 4) !== 'RIFF' || head.toString('latin1', 8, 12) !== 'WAVE') return undefined;
  let format: PlainWav['format'] | undefined;
  let offset = 12;
  while (offset + 8 <= head.length) {
    const id = head.toString('latin1', offset, offset + 4);
    const chunkBytes = head.readUInt32LE(offset + 4);
    const body = offset + 8;
    if (id === 'fmt ') {
      if (format !== undefined || chunkBytes < 16 || body + chunkBytes > head.length) return undefined;
      let tag = head.readUInt16LE(body);
      const channels = head.readUInt16LE(body + 2);
      const rate = head.readUInt32LE(body + 4);
      const bits = head.readUInt16LE(body + 14);
      if (tag === WAVE_FORMAT_EXTENSIBLE) {
        // The sub-format GUID starts with the plain tag (KSDATAFORMAT_SUBTYPE_PCM / _IEEE_FLOAT).
        if (chunkBytes < 40) return undefined;
        tag = head.readUInt16LE(body + 24);
      }
      if (channels !== 1 || rate !== sampleRate) return undefined;
      if (tag === WAVE_FORMAT_PCM && bits === 16) format = 'pcm16';
      else if (tag === WAVE_FORMAT_IEEE_FLOAT && bits === 32) format = 'float32';
      else return undefined;
    } else if (id === 'data') {
      // A streamed WAV (size 0 or 0xFFFFFFFF) or a short file: ffmpeg decides what it holds.
      if (format === undefined || chunkBytes === 0 || body + chunkBytes > fileSize) return undefined;
      return { format, dataOffset: body, dataBytes: chunkBytes };
    }
    offset = body + chunkBytes + (chunkBytes % 2);
  }
  return undefined;
}
