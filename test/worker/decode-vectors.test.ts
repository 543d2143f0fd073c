import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio, decodeAudioFile, isDecodedInProcess } from '@audio-index/audio-input';
import { createEmbedder, type Embedder } from '@audio-index/embedding';
import { loadWorkerConfig } from '@audio-index/worker';

/**
 * The worker decodes some WAVs in process (packages/audio-input/src/decode-audio-in-process.ts)
 * and everything else with ffmpeg. Whichever path a file takes, its rows must be the vectors
 * ffmpeg's samples give: the same segments, each vector within 1e-5, with the default model
 * and the default segmentation.
 */
describe('vectors of in-process decodes against ffmpeg decodes', () => {
  let directory: string;
  let embedder: Embedder;
  const segmentation = loadWorkerConfig({}).segmentation;
  const options = { sampleRate: 16_000, maxSeconds: 600, timeoutMs: 60_000 };

  beforeAll(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'decode-vectors-'));
    embedder = await createEmbedder({ model: 'default', executionProvider: 'cpu' });
    // 8 kHz 16-bit mono speech, as telephone prompts are shipped (resampled in process), made
    // with espeak-ng (setup installs it); and prompts joined into a 44.1 kHz stereo recording
    // with a different prompt in each channel (downmixed, then resampled).
    const phrases = { 'conf-invalidpin.wav': 'The pin you entered is invalid.', 'activated.wav': 'Activated.', 'vm-goodbye.wav': 'Goodbye.' };
    const prompts = Object.entries(phrases).map(([name, phrase]) => {
      const spoken = path.join(directory, `spoken-${name}`);
      execFileSync('espeak-ng', ['-w', spoken, phrase]);
      execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-i', spoken, '-ar', '8000', '-c:a', 'pcm_s16le', path.join(directory, name)]);
      fs.rmSync(spoken);
      return path.join(directory, name);
    });
    execFileSync('ffmpeg', [
      '-nostdin',
      '-loglevel',
      'error',
      '-y',
      '-i',
      prompts[0]!,
      '-i',
      prompts[1]!,
      '-filter_complex',
      '[0:a]apad=pad_dur=1[a];[1:a]apad=pad_dur=2[b];[a][b]amerge=inputs=2',
      '-ar',
      '44100',
      '-c:a',
      'pcm_s16le',
      path.join(directory, 'stereo-44k.wav'),
    ]);
  }, 60_000);
  afterAll(async () => {
    await embedder?.close();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it.each(['conf-invalidpin.wav', 'activated.wav', 'vm-goodbye.wav', 'stereo-44k.wav'])('%s: the same segments, vectors within 1e-5', async (name) => {
    const file = path.join(directory, name);
    const bytes = fs.readFileSync(file);
    expect(isDecodedInProcess(bytes.subarray(0, 4096), bytes.length, 16_000)).toBe(true);
    const ours = await embedder.embedSegments(await decodeAudio(file, options), segmentation);
    const theirs = await embedder.embedSegments(await decodeAudioFile(file, options), segmentation);
    expect(ours.segments).toEqual(theirs.segments);
    expect(ours.vectors.length).toBe(theirs.vectors.length);
    let largest = 0;
    for (let i = 0; i < ours.vectors.length; i++) largest = Math.max(largest, Math.abs(ours.vectors[i]! - theirs.vectors[i]!));
    expect(largest).toBeLessThanOrEqual(1e-5);
  });
});
