import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelCard } from './model-card.ts';

const shipped = JSON.parse(readFileSync(resolve('models/default/card.json'), 'utf8')) as { id: string; dim: number };

const directory = mkdtempSync(join(tmpdir(), 'model-card-'));
afterAll(() => rmSync(directory, { recursive: true, force: true }));

const validCard = {
  id: 'test-frames',
  file: 'weights/encoder.onnx',
  sampleRate: 16_000,
  inputName: 'input_values',
  outputName: 'last_hidden_state',
  outputKind: 'frames',
  dim: 768,
  windowSeconds: 10,
  hopSeconds: 5,
  minSeconds: 1,
};

describe('loadModelCard', () => {
  it('resolves the built-in default by name and by id', () => {
    const byName = loadModelCard('default');
    expect(byName).toMatchObject({ id: shipped.id, sampleRate: 16_000, outputKind: 'pooled', dim: shipped.dim });
    expect(byName.modelPath).toMatch(/models\/default\/model\.onnx$/);
    expect(loadModelCard(shipped.id)).toEqual(byName);
  });

  it('resolves the previous default by its id, and no other bare name outside models/', () => {
    const previous = loadModelCard('logmel-stats-v3');
    expect(previous).toMatchObject({ id: 'logmel-stats-v3', dim: 258 });
    expect(previous.modelPath).toMatch(/models\/logmel-stats-v3\/model\.onnx$/);
    expect(previous.sharedFramePaths?.head).toMatch(/models\/logmel-stats-v3\/head\.onnx$/);
    expect(() => loadModelCard('logmel-stats-v0')).toThrow(expect.objectContaining({ code: 'MODEL_CARD_INVALID' }));
  });

  it('resolves the model file relative to the card, by card path or directory', () => {
    const cardDirectory = join(directory, 'frames');
    mkdirSync(join(cardDirectory, 'weights'), { recursive: true });
    writeFileSync(join(cardDirectory, 'weights/encoder.onnx'), '');
    writeFileSync(join(cardDirectory, 'card.json'), JSON.stringify(validCard));
    const card = loadModelCard(join(cardDirectory, 'card.json'));
    expect(card.modelPath).toBe(resolve(cardDirectory, 'weights/encoder.onnx'));
    expect(card.inputNormalization).toBe('none');
    expect(loadModelCard(cardDirectory)).toEqual(card);
  });

  it.each([
    ['a missing card', () => join(directory, 'nope.json')],
    ['a card with a bad field', () => writeCard('bad-kind.json', { ...validCard, outputKind: 'tokens' })],
    ['a card whose hop exceeds its window', () => writeCard('bad-hop.json', { ...validCard, hopSeconds: 20 })],
    ['a card whose model file is missing', () => writeCard('no-model.json', { ...validCard, file: 'missing.onnx' })],
  ])('refuses %s with MODEL_CARD_INVALID', (_, cardPath) => {
    expect(() => loadModelCard(cardPath())).toThrow(expect.objectContaining({ code: 'MODEL_CARD_INVALID' }));
  });
});

function writeCard(name: string, card: object): string {
  const path = join(directory, name);
  writeFileSync(path, JSON.stringify(card));
  return path;
}
