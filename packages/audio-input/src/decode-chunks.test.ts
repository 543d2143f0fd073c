import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudio } from './decode-audio-in-process.ts';

/** `onChunk`: the samples handed on while ffmpeg runs are, together and in order, the result. */
describe('decoding with onChunk', () => {
  let directory: string;
  beforeAll(() => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'decode-chunks-'));
    // Five minutes of tone (~0.2 s of decoding): long enough that ffmpeg is still writing when the first reads happen.
    execFileSync('ffmpeg', [
      '-nostdin',
      '-loglevel',
      'error',
      '-f',
      'lavfi',
      '-i',
      'sine=frequency=300:sample_rate=16000:duration=300',
      '-c:a',
      'libvorbis',
      path.join(directory, 'long.ogg'),
    ]);
  });
  afterAll(() => fs.rmSync(directory, { recursive: true, force: true }));

  it('hands on every sample once, in order, before it resolves', async () => {
    const chunks: Float32Array[] = [];
    const samples = await decodeAudio(path.join(directory, 'long.ogg'), {
      sampleRate: 16_000,
      maxSeconds: 600,
      timeoutMs: 60_000,
      onChunk: (chunk) => chunks.push(chunk.slice()),
    });
    expect(samples.length).toBeGreaterThan(299 * 16_000);
    const joined = new Float32Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    chunks.reduce((offset, chunk) => (joined.set(chunk, offset), offset + chunk.length), 0);
    // Byte comparison: toEqual walks 4.8M elements one by one (40 s).
    const bytes = (array: Float32Array) => Buffer.from(array.buffer, array.byteOffset, array.byteLength);
    expect(bytes(joined).equals(bytes(samples))).toBe(true);
    const plain = await decodeAudio(path.join(directory, 'long.ogg'), { sampleRate: 16_000, maxSeconds: 600, timeoutMs: 60_000 });
    expect(bytes(plain).equals(bytes(samples))).toBe(true);
  });

  it('still fails TOO_LONG past maxSeconds, whatever it handed on', async () => {
    const chunks: Float32Array[] = [];
    const decoding = decodeAudio(path.join(directory, 'long.ogg'), {
      sampleRate: 16_000,
      maxSeconds: 60,
      timeoutMs: 60_000,
      onChunk: (chunk) => chunks.push(chunk),
    });
    await expect(decoding).rejects.toMatchObject({ code: 'TOO_LONG' });
  });
});
