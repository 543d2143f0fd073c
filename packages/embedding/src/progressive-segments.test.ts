import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder, type Embedder } from './index.ts';
import { concatenate, sine, whiteNoise } from './testing/signals.ts';

/** 150 s of tones and noise at changing levels, with 20 s of digital silence in it. */
function recording(): Float32Array {
  const parts: Float32Array[] = [];
  for (let i = 0; i < 40; i++) parts.push(sine(180 + i * 23, 1.5 + (i % 3), 0.1 + 0.1 * (i % 4)), whiteNoise(0.8, 0.05 * (1 + (i % 4)), i + 7));
  return concatenate(...parts.slice(0, 30), new Float32Array(16_000 * 20), ...parts.slice(30), sine(523, 3.7));
}

describe('segments embedded while the recording is still arriving', () => {
  let embedder: Embedder;
  beforeAll(async () => {
    embedder = await createEmbedder({ model: 'default', executionProvider: 'cpu', threads: 2, batchSize: 1 });
  });
  afterAll(() => embedder?.close());

  it.each([
    ['the default 2.5 s every 1.25 s', { segmentSeconds: 2.5, hopSeconds: 1.25 }, true],
    ['5 s every 2 s', { segmentSeconds: 5, hopSeconds: 2 }, true],
    ['segments that do not overlap (nothing starts early)', { segmentSeconds: 5, hopSeconds: 5 }, false],
  ])('gives what embedSegments gives for the whole recording: %s', async (_, settings, startsEarly) => {
    const samples = recording();
    const whole = await embedder.embedSegments(samples.slice(), settings);
    const progressive = embedder.progressiveSegments(settings);
    // Uneven chunks, as a decoder's reads come, some smaller than a segment.
    let offset = 0;
    for (let size = 7_919; offset < samples.length; size = (size * 7) % 400_000 || 1) {
      progressive.add(samples.slice(offset, offset + size));
      offset += size;
    }
    // The recording is ~150 s: 16-segment runs of 2.5 s every 1.25 s need 21.25 s each, and at most four are in flight.
    if (startsEarly) expect(progressive.runsSentEarly).toBeGreaterThanOrEqual(4);
    else expect(progressive.runsSentEarly).toBe(0);
    const result = await progressive.finish(samples);
    expect(result.segments).toEqual(whole.segments);
    expect(result.vectors).toEqual(whole.vectors);
  });

  it('fails as embedSegments does when nothing is audible', async () => {
    const progressive = embedder.progressiveSegments({ segmentSeconds: 2.5, hopSeconds: 1.25 });
    const silence = new Float32Array(16_000 * 60);
    progressive.add(silence.subarray(0, 16_000 * 40));
    progressive.add(silence.subarray(16_000 * 40));
    await expect(progressive.finish(silence)).rejects.toMatchObject({ code: 'SILENT_AUDIO' });
  });
});
