/**
 * Where the plain baseline's category precision comes from, and what it would cost the
 * default model to take it over (issue 10 item 5). On the samples `run.ts --dump` wrote
 * for one corpus (tune on corpus A only; B is held back):
 *
 *   1. the baseline made gain-invariant (band means taken relative to the log of the clip's
 *      mean power, plus an offset `K` so the cosine keeps a common part as the baseline's
 *      large negative log values give it), with its clamp at 30 to 80 dB below the peak:
 *      how much of the category precision lives in the quiet part of a clip;
 *   2. the default model with that 80 dB block added at weight w (the block and the model's
 *      vector each of unit length, then concatenated): category precision against Recall@1
 *      under each alteration, the trade-off a deeper log group would make.
 *
 *   npx tsx bench/quality/run.ts --corpus a --no-excerpts --dump /tmp/dump
 *   npx tsx bench/quality/quiet-part-study.ts --dump /tmp/dump/a
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEmbedder, l2Normalise } from '@audio-index/embedding';
import { readCorpusDump, type CorpusDump } from './dump.ts';
import { categoryPrecision, queryOutcome, stackVectors, summarise } from './metrics.ts';
import { RAW_CONSTANT_INDEX, writeRawStatisticsModel } from './quiet-part-model.ts';

const RANGES_DB = [30, 40, 50, 60, 80];
const OFFSETS = [-10, -5, 0];
const BLOCK_WEIGHTS = [0.5, 1, 1.5, 2, 3, 4, 6];
const BANDS = RAW_CONSTANT_INDEX / 2;

const { values: options } = parseArgs({ options: { dump: { type: 'string' } } });
if (!options.dump) throw new Error('--dump <dir of one corpus> is required');
const dump = readCorpusDump(options.dump);
/** Every clip embedded: index 0 the originals, then one set per alteration. */
const clipSets = [dump.originals, ...dump.altered];

interface Scores {
  readonly recallAt1: number[];
  readonly categoryPrecision: number;
  readonly perCategory: number[];
}

/** Recall@1 per alteration (set 0 is the index) and category precision of the index. */
function score(sets: readonly Float32Array[][], corpus: CorpusDump): Scores {
  const index = stackVectors(sets[0]!);
  const recallAt1 = sets.slice(1).map((queries) => summarise(queries.map((query, i) => queryOutcome(index, query, i))).recallAt1);
  const categories = categoryPrecision(index, corpus.categories);
  return { recallAt1, categoryPrecision: categories.macro, perCategory: categories.perCategory.map((entry) => entry.precision) };
}

async function embedAll(model: string): Promise<Float32Array[][]> {
  const embedder = await createEmbedder({ model, executionProvider: 'cpu' });
  try {
    const sets: Float32Array[][] = [];
    for (const clips of clipSets) {
      const vectors: Float32Array[] = [];
      for (const clip of clips) vectors.push(await embedder.embed(clip));
      sets.push(vectors);
    }
    return sets;
  } finally {
    await embedder.close();
  }
}

/** The raw statistics back from a unit vector of quiet-part-model.ts (divided by its constant). */
function rawStatistics(vector: Float32Array): Float32Array {
  const scale = vector[RAW_CONSTANT_INDEX]!;
  return vector.map((value) => value / scale);
}

/** Gain-invariant baseline block: band means less the log mean power, plus `offset`; then the stds; unit length. */
function gainInvariantBlock(raw: Float32Array, offset: number): Float32Array {
  const logMeanPower = raw[RAW_CONSTANT_INDEX + 1]!;
  const block = new Float32Array(2 * BANDS);
  for (let band = 0; band < BANDS; band++) {
    block[band] = raw[band]! - logMeanPower + offset;
    block[BANDS + band] = raw[BANDS + band]!;
  }
  return l2Normalise(block);
}

function concatenate(model: Float32Array, block: Float32Array, weight: number): Float32Array {
  const joined = new Float32Array(model.length + block.length);
  joined.set(model);
  joined.set(
    block.map((value) => value * weight),
    model.length,
  );
  return l2Normalise(joined);
}

const f3 = (value: number) => value.toFixed(3);
const row = (label: string, scores: Scores) =>
  `| ${label} | ${scores.recallAt1.map(f3).join(' | ')} | ${f3(scores.categoryPrecision)} | ${scores.perCategory.map((value) => value.toFixed(2)).join(' / ')} |`;

const workDirectory = mkdtempSync(join(tmpdir(), 'quiet-part-study-'));
try {
  const header = `| vectors | ${dump.alterations.map((alteration) => `R@1 ${alteration.name}`).join(' | ')} | category precision | per category |`;
  const rule = `|---|${dump.alterations.map(() => '---').join('|')}|---|---|`;
  const categoryNames = [...new Set(dump.categories)].join(' / ');
  const modelSets = await embedAll('default');
  const rawByRange = new Map<number, Float32Array[][]>();
  for (const rangeDb of RANGES_DB) {
    const directory = join(workDirectory, `${rangeDb}db`);
    writeRawStatisticsModel(directory, rangeDb);
    rawByRange.set(
      rangeDb,
      (await embedAll(directory)).map((set) => set.map(rawStatistics)),
    );
  }

  console.log(`Categories: ${categoryNames}.\n\n1. The baseline's statistics, gain-invariant, by clamp range and offset K\n`);
  console.log(header);
  console.log(rule);
  console.log(row('default model', score(modelSets, dump)));
  const plain = rawByRange.get(80)!.map((set) => set.map((raw) => l2Normalise(raw.slice(0, RAW_CONSTANT_INDEX))));
  console.log(row('plain baseline (80 dB, not gain-invariant)', score(plain, dump)));
  for (const rangeDb of RANGES_DB) {
    for (const offset of OFFSETS) {
      const sets = rawByRange.get(rangeDb)!.map((set) => set.map((raw) => gainInvariantBlock(raw, offset)));
      console.log(row(`${rangeDb} dB below peak, K ${offset}`, score(sets, dump)));
    }
  }

  console.log('\n2. The default model with the 80 dB gain-invariant block at weight w\n');
  console.log(header);
  console.log(rule);
  for (const offset of OFFSETS) {
    for (const weight of BLOCK_WEIGHTS) {
      const sets = modelSets.map((set, s) => set.map((vector, i) => concatenate(vector, gainInvariantBlock(rawByRange.get(80)![s]![i]!, offset), weight)));
      console.log(row(`K ${offset}, w ${weight}`, score(sets, dump)));
    }
  }
} finally {
  rmSync(workDirectory, { recursive: true, force: true });
}
