import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from './decode-audio.ts';
import { decodeAudio, isDecodedInProcess } from './decode-audio-in-process.ts';

/** The in-process WAV path against real ffmpeg on real files: the same samples, or ffmpeg itself. */
describe('decodeAudio', () => {
  let directory: string;
  const options = { sampleRate: 16_000, maxSeconds: 30, timeoutMs: 30_000 };
  const file = (name: string) => path.join(directory, name);
  const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', ...args]);
  const isPlain = (name: string) => {
    const bytes = fs.readFileSync(file(name));
    return isDecodedInProcess(bytes.subarray(0, 4096), bytes.length, 16_000);
  };

  beforeAll(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'decode-in-process-'));
    // Speech-like, full-scale content: noise and a loud tone, so every bit of the 16-bit samples varies.
    const source = 'anoisesrc=color=pink:amplitude=0.9:seed=7:duration=3:sample_rate=16000';
    ffmpeg('-f', 'lavfi', '-i', source, '-c:a', 'pcm_s16le', file('s16.wav'));
    ffmpeg('-f', 'lavfi', '-i', source, '-c:a', 'pcm_f32le', file('f32.wav'));
    ffmpeg('-f', 'lavfi', '-i', source, '-c:a', 'pcm_s16le', '-rf64', 'never', '-write_bext', '1', file('bext.wav'));
    execFileSync('sox', [file('s16.wav'), '-e', 'signed-integer', '-b', '16', file('sox.wav')]);
    // WAVE_FORMAT_EXTENSIBLE, as many recorders write it.
    execFileSync('sox', [file('s16.wav'), '-e', 'floating-point', '-b', '32', file('sox-f32.wav')]);
    ffmpeg('-f', 'lavfi', '-i', source, '-ac', '2', '-c:a', 'pcm_s16le', file('stereo.wav'));
    ffmpeg('-f', 'lavfi', '-i', source, '-c:a', 'pcm_s24le', file('s24.wav'));
    ffmpeg('-f', 'lavfi', '-i', source, '-c:a', 'flac', file('tone.flac'));
  });
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

  it.each(['s16.wav', 'f32.wav', 'bext.wav', 'sox.wav', 'sox-f32.wav'])('reads %s in process, equal to ffmpeg sample for sample', async (name) => {
    expect(isPlain(name)).toBe(true);
    const inProcess = await decodeAudio(file(name), options);
    const byFfmpeg = await decodeAudioFile(file(name), options);
    expect(inProcess.length).toBe(byFfmpeg.length);
    expect(inProcess.length).toBeGreaterThan(40_000);
    let largest = 0;
    for (let i = 0; i < inProcess.length; i++) largest = Math.max(largest, Math.abs(inProcess[i]! - byFfmpeg[i]!));
    expect(largest).toBe(0);
  });

  // Resampled WAVs: decode-resample.test.ts.
  it.each(['stereo.wav', 's24.wav', 'tone.flac'])('leaves %s to ffmpeg, with the same result', async (name) => {
    expect(isPlain(name)).toBe(false);
    expect(await decodeAudio(file(name), options)).toEqual(await decodeAudioFile(file(name), options));
  });

  it('refuses a plain WAV longer than maxSeconds as TOO_LONG, like ffmpeg', async () => {
    const short = { ...options, maxSeconds: 1 };
    await expect(decodeAudio(file('s16.wav'), short)).rejects.toMatchObject({ code: 'TOO_LONG' });
    await expect(decodeAudioFile(file('s16.wav'), short)).rejects.toMatchObject({ code: 'TOO_LONG' });
  });

  it('leaves a truncated WAV (data chunk longer than the file) to ffmpeg', async () => {
    const bytes = fs.readFileSync(file('s16.wav'));
    fs.writeFileSync(file('cut.wav'), bytes.subarray(0, bytes.length - 1000));
    expect(isPlain('cut.wav')).toBe(false);
    expect(await decodeAudio(file('cut.wav'), options)).toEqual(await decodeAudioFile(file('cut.wav'), options));
  });

  it('refuses a playlist named .wav through ffmpeg as NOT_AUDIO', async () => {
    fs.writeFileSync(file('playlist.wav'), `#EXTM3U\n#EXTINF:1.0,\n${file('tone.flac')}\n#EXT-X-ENDLIST\n`);
    await expect(decodeAudio(file('playlist.wav'), options)).rejects.toMatchObject({ code: 'NOT_AUDIO' });
  });
});
