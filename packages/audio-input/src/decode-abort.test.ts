import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from './decode-audio.ts';

/** The caller's abort (an API query whose client left) kills ffmpeg mid-decode (issue 11 item 6). */
describe('decodeAudioFile with an AbortSignal (real ffmpeg)', () => {
  let directory: string;
  let file: string;

  beforeAll(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'decode-abort-'));
    file = path.join(directory, 'long.flac');
    // 20 minutes of noise as FLAC: long enough that decoding it takes well over the abort delay.
    execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', 'anoisesrc=d=1200:r=16000', '-ac', '1', file]);
  }, 120_000);
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

  it('stops at once with REQUEST_ABORTED, and refuses to start when already aborted', async () => {
    const controller = new AbortController();
    const started = Date.now();
    const decoding = decodeAudioFile(file, { sampleRate: 16_000, maxSeconds: 3600, timeoutMs: 120_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    await expect(decoding).rejects.toMatchObject({ code: 'REQUEST_ABORTED' });
    const abortedAfter = Date.now() - started;
    const full = Date.now();
    const samples = await decodeAudioFile(file, { sampleRate: 16_000, maxSeconds: 3600, timeoutMs: 120_000 });
    const fullDecode = Date.now() - full;
    expect(samples.length).toBe(1200 * 16_000);
    // Cut short, not run to the end: the whole file takes several times the 50 ms abort delay.
    expect(fullDecode).toBeGreaterThan(300);
    expect(abortedAfter).toBeLessThan(fullDecode);
    await expect(decodeAudioFile(file, { sampleRate: 16_000, maxSeconds: 3600, timeoutMs: 120_000, signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'REQUEST_ABORTED',
    });
  }, 120_000);
});
