import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from './decode-audio.ts';
import { decodeAudio, isDecodedInProcess } from './decode-audio-in-process.ts';
import { resamplerFor } from './decode-resample.ts';

/** One float rounding near full scale: what separates swr's float sums from these double ones. */
const ONE_ROUNDING = 1.2e-7;

/** WAVs at other rates decoded in process against real ffmpeg: the same length and samples to one rounding. */
describe('decodeAudio with a rate conversion', () => {
  let directory: string;
  const options = { sampleRate: 16_000, maxSeconds: 60, timeoutMs: 30_000 };
  const file = (name: string) => path.join(directory, name);
  const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', ...args]);
  const inProcess = (name: string) => {
    const bytes = fs.readFileSync(file(name));
    return isDecodedInProcess(bytes.subarray(0, 4096), bytes.length, 16_000);
  };
  const largestDifference = (a: Float32Array, b: Float32Array) => {
    let largest = 0;
    for (let i = 0; i < a.length; i++) largest = Math.max(largest, Math.abs(a[i]! - b[i]!));
    return largest;
  };

  beforeAll(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'decode-resample-'));
    // Speech at 8 kHz, 16-bit, as telephone prompts are shipped (what the bench's short clips
    // are): espeak-ng's voice (setup installs it), resampled by ffmpeg.
    execFileSync('espeak-ng', ['-w', file('speech-22k.wav'), 'The conference pin you entered is invalid.']);
    ffmpeg('-i', file('speech-22k.wav'), '-ar', '8000', '-c:a', 'pcm_s16le', file('speech-8k.wav'));
    // Full-scale noise, so every tap of every phase shows; a second, independent channel for the downmix.
    const noise = (seed: number, rate: number) => `anoisesrc=color=pink:amplitude=0.9:seed=${seed}:duration=3:sample_rate=${rate}`;
    for (const rate of [8000, 11025, 22050, 32000, 44100, 48000]) {
      ffmpeg('-f', 'lavfi', '-i', noise(7, rate), '-c:a', 'pcm_s16le', file(`mono-${rate}.wav`));
      ffmpeg(
        '-f',
        'lavfi',
        '-i',
        noise(7, rate),
        '-f',
        'lavfi',
        '-i',
        noise(8, rate),
        '-filter_complex',
        'amerge=inputs=2',
        '-c:a',
        'pcm_s16le',
        file(`stereo-${rate}.wav`),
      );
    }
    ffmpeg('-f', 'lavfi', '-i', noise(9, 44100), '-c:a', 'pcm_f32le', file('float-44100.wav'));
    // Shorter than a few filter windows, and a rate pair swr interpolates (more than 1024 phases).
    ffmpeg('-f', 'lavfi', '-i', noise(7, 48000), '-t', '0.004', '-c:a', 'pcm_s16le', file('tiny-48000.wav'));
    ffmpeg('-f', 'lavfi', '-i', noise(7, 44056), '-c:a', 'pcm_s16le', file('odd-44056.wav'));
  });
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

  const converted = [
    'speech-8k.wav',
    ...[8000, 11025, 22050, 32000, 44100, 48000].flatMap((rate) => [`mono-${rate}.wav`, `stereo-${rate}.wav`]),
    'float-44100.wav',
  ];
  it.each(converted)('converts %s in process, equal to ffmpeg to one float rounding', async (name) => {
    expect(inProcess(name)).toBe(true);
    const ours = await decodeAudio(file(name), options);
    const theirs = await decodeAudioFile(file(name), options);
    expect(ours.length).toBe(theirs.length);
    expect(ours.length).toBeGreaterThan(16_000);
    expect(largestDifference(ours, theirs)).toBeLessThanOrEqual(ONE_ROUNDING);
  });

  it.each(['tiny-48000.wav', 'odd-44056.wav'])('leaves %s to ffmpeg', async (name) => {
    expect(inProcess(name)).toBe(false);
    expect(await decodeAudio(file(name), options)).toEqual(await decodeAudioFile(file(name), options));
  });

  it('refuses a converted WAV longer than maxSeconds as TOO_LONG, like ffmpeg', async () => {
    const short = { ...options, maxSeconds: 1 };
    await expect(decodeAudio(file('mono-8000.wav'), short)).rejects.toMatchObject({ code: 'TOO_LONG' });
    await expect(decodeAudioFile(file('mono-8000.wav'), short)).rejects.toMatchObject({ code: 'TOO_LONG' });
  });

  it('keeps a constant constant and an impulse at its place (phase 0 of a 2x upsampler is the input itself)', () => {
    const resampler = resamplerFor(8000, 16_000)!;
    const constant = resampler.resample(new Float32Array(1000).fill(0.25));
    expect(constant.length).toBe(2000);
    for (let i = 0; i < constant.length; i += 2) expect(constant[i]).toBe(0.25);
    const impulse = new Float32Array(1000);
    impulse[500] = 0.5;
    const response = resampler.resample(impulse);
    expect(response[1000]).toBe(0.5);
    expect(response[998]).toBe(0);
    expect(response[1001]).toBeGreaterThan(0.3);
  });
});
