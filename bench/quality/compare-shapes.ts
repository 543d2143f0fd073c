/**
 * How the default model's shape was chosen: embeds the samples that `run.ts --dump <dir>`
 * wrote for one corpus with several candidate shapes of models/build-default-model.ts, and
 * prints Recall@1 per alteration and category precision for each. Tune on corpus A only and
 * check the choice on B with run.ts: B is the held-back half.
 *
 *   npx tsx bench/quality/run.ts --corpus a --no-excerpts --dump /tmp/dump
 *   npx tsx bench/quality/compare-shapes.ts --dump /tmp/dump/a
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEmbedder } from '@audio-index/embedding';
import { DEFAULT_SHAPE, writeStatisticsModel, type ModelShape } from '../../models/build-statistics-model.ts';
import { readCorpusDump } from './dump.ts';
import { categoryPrecision, queryOutcome, stackVectors, summarise } from './metrics.ts';

const { values: options } = parseArgs({ options: { dump: { type: 'string' }, shapes: { type: 'string' } } });
if (!options.dump) throw new Error('--dump <dir of one corpus> is required');
const dumpDirectory = options.dump;

/** Candidates: the shipped shape, then one change at a time, then combinations (or --shapes JSON). */
const CANDIDATES: Record<string, ModelShape> = options.shapes
  ? (JSON.parse(options.shapes) as Record<string, ModelShape>)
  : {
      shipped: DEFAULT_SHAPE,
      'smooth 1': { ...DEFAULT_SHAPE, bandSmoothing: 1 },
      'smooth 1.5': { ...DEFAULT_SHAPE, bandSmoothing: 1.5 },
      'smooth 1 + motion': { ...DEFAULT_SHAPE, bandSmoothing: 1, smoothMotion: true },
      'motion 1.5': { ...DEFAULT_SHAPE, weights: { ...DEFAULT_SHAPE.weights, motion: 1.5 } },
      'motion 1.5, smooth 1': { ...DEFAULT_SHAPE, weights: { ...DEFAULT_SHAPE.weights, motion: 1.5 }, bandSmoothing: 1 },
    };

const names = readCorpusDump(dumpDirectory);
const { originals, altered } = names;

const workDirectory = mkdtempSync(join(tmpdir(), 'compare-shapes-'));
try {
  console.log(`| shape | ${names.alterations.map((a) => a.name).join(' | ')} | category precision |`);
  console.log(`|---|${names.alterations.map(() => '---').join('|')}|---|`);
  for (const [label, shape] of Object.entries(CANDIDATES)) {
    const slug = label.replace(/[^a-z0-9.]+/gi, '-');
    const directory = join(workDirectory, slug);
    writeStatisticsModel(directory, shape, `candidate-${slug}`);
    const embedder = await createEmbedder({ model: directory, executionProvider: 'cpu' });
    try {
      const vectors: Float32Array[] = [];
      for (const samples of originals) vectors.push(await embedder.embed(samples));
      const index = stackVectors(vectors);
      const recalls: string[] = [];
      for (const copies of altered) {
        const outcomes = [];
        for (const [i, samples] of copies.entries()) outcomes.push(queryOutcome(index, await embedder.embed(samples), i));
        const summary = summarise(outcomes);
        recalls.push(`${summary.recallAt1.toFixed(3)} (${summary.meanMargin.toFixed(3)})`);
      }
      const categories = categoryPrecision(index, names.categories);
      const perCategory = categories.perCategory.map((entry) => `${entry.category} ${entry.precision.toFixed(2)}`).join('; ');
      console.log(`| ${label} | ${recalls.join(' | ')} | ${categories.macro.toFixed(3)} (${perCategory}) |`);
    } finally {
      await embedder.close();
    }
  }
} finally {
  rmSync(workDirectory, { recursive: true, force: true });
}
