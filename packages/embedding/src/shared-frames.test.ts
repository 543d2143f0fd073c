import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultHeadFile } from '../../../models/build-default-model.ts';
import { writeProjectedModel } from '../../../models/build-projected-model.ts';
import { decodeLearnedProjection, type LearnedProjectionFile } from '../../../models/projection-head.ts';
import { createEmbedder, type Embedder } from './index.ts';
import { concatenate, maxAbsDifference, sine, whiteNoise } from './testing/signals.ts';

// The shipped model with and without its `sharedFrames`: the same ONNX file, two cards.
const shippedDirectory = new URL('../../../models/default/', import.meta.url).pathname;
const shippedCard = JSON.parse(readFileSync(join(shippedDirectory, 'card.json'), 'utf8')) as Record<string, unknown> & {
  sharedFrames: Record<string, unknown>;
};
const directory = mkdtempSync(join(tmpdir(), 'shared-frames-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

/** A card for the shipped files, with `sharedFrames` changed (or left out with `null`). */
function cardWith(name: string, sharedFrames: Record<string, unknown> | null): string {
  const absolute = (file: unknown) => join(shippedDirectory, String(file));
  const { sharedFrames: shipped, ...rest } = shippedCard;
  const card = {
    ...rest,
    id: `shipped-${name}`,
    file: absolute(rest.file),
    ...(sharedFrames && {
      sharedFrames: { ...shipped, ...sharedFrames, frontEndFile: absolute(shipped.frontEndFile), headFile: absolute(shipped.headFile) },
    }),
  };
  mkdirSync(join(directory, name), { recursive: true });
  writeFileSync(join(directory, name, 'card.json'), JSON.stringify(card));
  return join(directory, name);
}

/** 86 s: tones and noise at changing levels, 20 s of digital silence, and a tail that is not on the segment grid. */
function recording(): Float32Array {
  const parts: Float32Array[] = [];
  for (let i = 0; i < 20; i++) parts.push(sine(200 + i * 37, 1.5 + (i % 3), 0.1 + 0.1 * (i % 4)), whiteNoise(0.7, 0.05 * (1 + (i % 4)), i + 1));
  return concatenate(...parts, new Float32Array(16_000 * 20), sine(440, 3.3));
}

describe('segments embedded with a shared front end', () => {
  let split: Embedder;
  let whole: Embedder;
  beforeAll(async () => {
    [split, whole] = await Promise.all([
      createEmbedder({ model: cardWith('split', {}), executionProvider: 'cpu', threads: 2, batchSize: 1 }),
      createEmbedder({ model: cardWith('whole', null), executionProvider: 'cpu', threads: 2, batchSize: 1 }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([split?.close(), whole?.close()]);
  });

  it.each([
    ['the default 2.5 s every 1.25 s', { segmentSeconds: 2.5, hopSeconds: 1.25 }],
    ['12 s segments, two model windows each', { segmentSeconds: 12, hopSeconds: 6 }],
    ['5 s every 2 s', { segmentSeconds: 5, hopSeconds: 2 }],
  ])('gives the whole model’s vectors to 1e-5: %s', async (_, settings) => {
    const samples = recording();
    const runsBefore = split.stats().sharedFrameRuns;
    const [viaSplit, viaWhole] = await Promise.all([split.embedSegments(samples.slice(), settings), whole.embedSegments(samples.slice(), settings)]);
    expect(viaSplit.segments).toEqual(viaWhole.segments);
    // The silent 20 s leave segments out, and the last segment is aligned to the end.
    const planned = Math.floor((samples.length / 16_000 - settings.segmentSeconds) / settings.hopSeconds) + 2;
    expect(viaSplit.segments.length).toBeLessThan(planned);
    expect(viaSplit.segments.at(-1)!.end).toBeCloseTo(samples.length / 16_000, 3);
    expect(maxAbsDifference(viaSplit.vectors, viaWhole.vectors)).toBeLessThan(1e-5);
    expect(split.stats().sharedFrameRuns).toBeGreaterThan(runsBefore);
    expect(whole.stats().sharedFrameRuns).toBe(0);
  });

  it('leaves segments that do not overlap, and a recording of one segment, to the whole model', async () => {
    const runsBefore = split.stats().sharedFrameRuns;
    const apart = await split.embedSegments(recording(), { segmentSeconds: 5, hopSeconds: 5 });
    const single = await split.embedSegments(sine(330, 2), { segmentSeconds: 2.5, hopSeconds: 1.25 });
    expect(apart.segments.length).toBeGreaterThan(10);
    expect(single.segments).toEqual([{ start: 0, end: 2 }]);
    expect(split.stats().sharedFrameRuns).toBe(runsBefore);
  });

  it('fails SILENT_AUDIO for a recording with nothing audible, as the whole model does', async () => {
    const silence = new Float32Array(16_000 * 30);
    await expect(split.embedSegments(silence, { segmentSeconds: 2.5, hopSeconds: 1.25 })).rejects.toMatchObject({ code: 'SILENT_AUDIO' });
  });
});

describe('a card whose sharedFrames do not describe its model', () => {
  it.each([
    ['frames further apart than they are', { hopSamples: 320 }, /gave "frame_power" as/],
    ['frames that reach less far than they do', { reachSamples: 100 }, /its sharedFrames failed on a probe: the front end .* failed on a \[3, 160\] input/],
    ['an output the front end does not have', { frameOutputs: [{ name: 'power', channels: 257 }] }, /gave "power" as \[\]/],
  ])('is refused at start with MODEL_CARD_INVALID: %s', async (name, change, message) => {
    const model = cardWith(`bad-${name.replaceAll(' ', '-')}`, change);
    await expect(createEmbedder({ model, executionProvider: 'cpu' })).rejects.toMatchObject({
      code: 'MODEL_CARD_INVALID',
      message: expect.stringMatching(message),
    });
  });

  it('is refused when its front end and head are not its model’s', async () => {
    // The same graph and width with the head blended in at another weight.
    const other = join(directory, 'other-blend');
    const head = JSON.parse(readFileSync(defaultHeadFile, 'utf8')) as LearnedProjectionFile;
    writeProjectedModel(other, decodeLearnedProjection({ ...head, headWeight: (head.headWeight ?? 0.5) / 2 }), 'other-blend');
    const model = cardWith('other-model', {});
    const path = join(model, 'card.json');
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), file: join(other, 'model.onnx') }));
    await expect(createEmbedder({ model, executionProvider: 'cpu' })).rejects.toMatchObject({
      code: 'MODEL_CARD_INVALID',
      message: expect.stringMatching(/do not reproduce the model \(a probe segment at sample 0 differs by/),
    });
  });

  it('is refused when loaded with input normalisation, which makes frames depend on the whole window', async () => {
    const model = cardWith('normalised', {});
    const path = join(model, 'card.json');
    writeFileSync(path, JSON.stringify({ ...JSON.parse(readFileSync(path, 'utf8')), inputNormalization: 'zero-mean-unit-variance' }));
    await expect(createEmbedder({ model, executionProvider: 'cpu' })).rejects.toMatchObject({
      code: 'MODEL_CARD_INVALID',
      message: expect.stringMatching(/sharedFrames needs inputNormalization "none"/),
    });
  });
});

describe('closing an embedder with runs in flight', () => {
  it('rejects them with EMBEDDER_CLOSED and lets each thread finish its model call (terminating one mid-call aborts the process)', async () => {
    const embedder = await createEmbedder({ model: 'default', executionProvider: 'cpu', threads: 2 });
    const embedding = embedder.embedSegments(sine(300, 600), { segmentSeconds: 2.5, hopSeconds: 1.25 });
    const refused = expect(embedding).rejects.toMatchObject({ code: 'EMBEDDER_CLOSED' });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await embedder.close();
    await refused;
  });
});
