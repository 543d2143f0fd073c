import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbedder, EmbeddingError, ModelEmbedders, type CollectionModel, type Embedder } from './index.ts';
import { writeFramesModel } from './testing/frames-model.ts';

const directory = mkdtempSync(join(tmpdir(), 'model-embedders-'));
const framesCard = writeFramesModel(join(directory, 'frames'));
// A second card file that holds the base model's id: it must resolve to the base embedder.
const sameIdCard = writeFramesModel(join(directory, 'same-id'), { id: 'base-frames' });
const codeOf = (promise: Promise<unknown>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => (error instanceof EmbeddingError ? error.code : String(error)),
  );

describe('ModelEmbedders: one embedder per model, the base one reused', () => {
  let base: Embedder;
  let embedders: ModelEmbedders;
  const records = new Map<string, CollectionModel>();
  const loaded: string[] = [];

  beforeAll(async () => {
    base = await createEmbedder({ model: writeFramesModel(join(directory, 'base'), { id: 'base-frames' }), executionProvider: 'cpu' });
    embedders = new ModelEmbedders(
      base,
      { executionProvider: 'cpu' },
      {
        modelOfCollection: async (collection) => records.get(collection),
        logger: { info: (fields) => loaded.push((fields as { model: string }).model) },
      },
    );
  });
  afterAll(async () => {
    await embedders.close();
    rmSync(directory, { recursive: true, force: true });
  });

  it('gives the base embedder for no card and for a card with the base id, and loads another card once', async () => {
    expect(await embedders.forCard(undefined)).toBe(base);
    expect(await embedders.forCard(sameIdCard)).toBe(base);
    const [first, second] = await Promise.all([embedders.forCard(framesCard), embedders.forCard(framesCard)]);
    expect(first).toBe(second);
    expect(first!.modelId).toBe('tiny-frames');
    expect(loaded).toEqual(['tiny-frames']);
  });

  it('picks a collection embedder from the job card, else the collection record, else the base', async () => {
    records.set('moved', { id: 'tiny-frames', ref: framesCard });
    records.set('back', { id: 'base-frames', ref: framesCard });
    expect((await embedders.forCollection('moved', undefined)).modelId).toBe('tiny-frames');
    expect(await embedders.forCollection('back', undefined)).toBe(base);
    expect(await embedders.forCollection('plain', undefined)).toBe(base);
    expect((await embedders.forCollection('plain', framesCard)).modelId).toBe('tiny-frames');
  });

  it('refuses a query model it cannot load as MODEL_MISMATCH, and retries a card that failed to load', async () => {
    expect(await embedders.forModel('base-frames', undefined)).toBe(base);
    expect((await embedders.forModel('tiny-frames', framesCard)).modelId).toBe('tiny-frames');
    expect(await codeOf(embedders.forModel('other', undefined))).toBe('MODEL_MISMATCH');
    // Rows of the previous default name no card; it is shipped under its id, so it loads.
    const previous = await embedders.forModel('logmel-stats-v3', undefined);
    expect([previous.modelId, previous.dim]).toEqual(['logmel-stats-v3', 258]);
    expect(await codeOf(embedders.forModel('other', framesCard))).toBe('MODEL_MISMATCH');
    const later = join(directory, 'later');
    expect(await codeOf(embedders.forCard(join(later, 'card.json')))).toBe('MODEL_CARD_INVALID');
    const laterCard = writeFramesModel(later, { id: 'later-frames' });
    expect((await embedders.forCard(laterCard)).modelId).toBe('later-frames');
  });
});
