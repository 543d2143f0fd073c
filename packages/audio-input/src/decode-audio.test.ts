import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile, ffmpegFailure } from './decode-audio.ts';

/** Real ffmpeg on real files: the demuxer and protocol whitelists, and what still decodes. */
describe('decodeAudioFile reads only the file it is handed', () => {
  let directory: string;
  const options = { sampleRate: 16_000, maxSeconds: 10, timeoutMs: 30_000 };
  const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', ...args]);
  const codeOf = (promise: Promise<unknown>) =>
    promise.then(
      () => 'decoded',
      (error: { code?: string }) => error.code,
    );

  beforeAll(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'decode-audio-'));
    ffmpeg('-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=16000:duration=1', path.join(directory, 'tone.wav'));
  });
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

  // One second of tone in every container the whitelist names (encoders Debian's ffmpeg has).
  const containers: [string, string[]][] = [
    ['wav', []],
    ['w64', []],
    ['mp3', []],
    ['flac', []],
    ['ogg', ['-c:a', 'libvorbis']],
    ['opus', []],
    ['m4a', []],
    ['aac', []],
    ['webm', []],
    ['mka', []],
    ['aiff', []],
    ['caf', []],
    ['au', []],
    ['wma', []],
    ['ac3', []],
    ['wv', []],
  ];
  it.each(containers)('decodes %s', async (extension, codec) => {
    const file = path.join(directory, `copy.${extension}`);
    ffmpeg('-i', path.join(directory, 'tone.wav'), ...codec, file);
    const samples = await decodeAudioFile(file, options);
    // Encoders pad a frame or two; one second give or take 0.1 s.
    expect(Math.abs(samples.length - 16_000)).toBeLessThan(1_600);
  });

  it('refuses an HLS playlist naming a local mp3 as NOT_AUDIO', async () => {
    const mp3 = path.join(directory, 'secret.mp3');
    ffmpeg('-i', path.join(directory, 'tone.wav'), mp3);
    const playlist = path.join(directory, 'playlist.wav');
    fs.writeFileSync(playlist, `#EXTM3U\n#EXT-X-TARGETDURATION:2\n#EXTINF:1.0,\n${mp3}\n#EXT-X-ENDLIST\n`);
    await expect(decodeAudioFile(playlist, options)).rejects.toMatchObject({ code: 'NOT_AUDIO', message: expect.stringContaining('hls') });
  });

  it('refuses an ffconcat script naming a file beside it as NOT_AUDIO', async () => {
    ffmpeg('-i', path.join(directory, 'tone.wav'), path.join(directory, 'beside.mp3'));
    const script = path.join(directory, 'script.wav');
    fs.writeFileSync(script, 'ffconcat version 1.0\nfile beside.mp3\n');
    expect(await codeOf(decodeAudioFile(script, options))).toBe('NOT_AUDIO');
  });
});

/** ffmpeg writes into a scratch file; a scratch space that refuses it is the process's fault, not the input's. */
describe('decodeAudioFile output', () => {
  let directory: string;
  const tone = () => path.join(directory, 'tone.wav');
  beforeAll(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'decode-output-'));
    execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=8000:duration=1', tone()]);
  });
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

  it('leaves no output file behind, decoded or refused', async () => {
    const scratch = fs.mkdtempSync(path.join(directory, 'scratch-'));
    expect((await decodeAudioFile(tone(), { sampleRate: 16_000, maxSeconds: 10, timeoutMs: 30_000, scratchDirectory: scratch })).length).toBe(16_000);
    await expect(decodeAudioFile(tone(), { sampleRate: 16_000, maxSeconds: 0.5, timeoutMs: 30_000, scratchDirectory: scratch })).rejects.toMatchObject({
      code: 'TOO_LONG',
    });
    expect(fs.readdirSync(scratch)).toEqual([]);
  });

  it('is SCRATCH_WRITE_FAILED when the output file cannot be created', async () => {
    const missing = path.join(directory, 'no-such-directory');
    await expect(decodeAudioFile(tone(), { sampleRate: 16_000, maxSeconds: 10, timeoutMs: 30_000, scratchDirectory: missing })).rejects.toMatchObject({
      code: 'SCRATCH_WRITE_FAILED',
    });
  });

  it("reads ffmpeg's own words for a full disk (its output, /dev/full) as SCRATCH_WRITE_FAILED, an input it cannot read as NOT_AUDIO", () => {
    let stderr = '';
    try {
      execFileSync('sh', ['-c', `ffmpeg -nostdin -hide_banner -loglevel error -i "${tone()}" -ac 1 -ar 16000 -f f32le pipe:1 > /dev/full`], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
    } catch (error) {
      stderr = String((error as { stderr: Buffer }).stderr);
    }
    expect(stderr).toMatch(/No space left on device/);
    expect(ffmpegFailure(stderr, 1, tone())).toMatchObject({ code: 'SCRATCH_WRITE_FAILED' });
    expect(ffmpegFailure(`file:${tone()}: Invalid data found when processing input\n`, 1, tone())).toMatchObject({
      code: 'NOT_AUDIO',
      message: 'not decodable audio: Invalid data found when processing input',
    });
  });
});
