/**
 * Learns the linear head of the candidate model models/build-projected-model.ts
 * (models/fit-projection.ts) on one corpus's samples as `run.ts --dump` wrote them. Corpus A
 * only: B is held back to judge the result, with run.ts on the model `--model-out` writes.
 *
 *   npx tsx bench/quality/run.ts --corpus a --no-excerpts --dump /tmp/q/dump
 *   npx tsx bench/quality/learn-projection.ts --dump /tmp/q/dump/a [--head head.json] [--model-out dir]
 *   npx tsx bench/quality/run.ts --model dir/card.json
 *
 * Prints, per alteration, Recall@1 and category precision of: the head's input as is; the
 * head fitted in 5 folds (each recording scored by a head fitted without it or its copies,
 * against all recordings: an estimate for recordings it was not fitted on); and the head
 * fitted on all of them, as the shipped model computes it (ONNX, windows and all).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEmbedder, l2Normalise } from '@audio-index/embedding';
import { BASELINE_WEIGHT, writeProjectedModel } from '../../models/build-projected-model.ts';
import { applyProjection, fitProjection, type ProjectionSettings } from '../../models/fit-projection.ts';
import { decodeLearnedProjection, encodeFloats, type LearnedProjectionFile } from '../../models/projection-head.ts';
import { readCorpusDump } from './dump.ts';
import { cosineScores, queryOutcome, stackVectors } from './metrics.ts';

/** Chosen on corpus A by the 5-fold estimate (a plateau: regularisation 0.1-1, collapse 0.3-1, spread 1 all within 0.01). */
export const SHIPPED_SETTINGS: ProjectionSettings = { regularisation: 1, categoryCollapse: 0.3, categorySpread: 1, spreadDirections: 4, outputDim: 258 };
const FOLDS = 5;
const COMMAND = 'npx tsx bench/quality/run.ts --corpus a --no-excerpts --dump /tmp/q/dump && npx tsx bench/quality/learn-projection.ts --dump /tmp/q/dump/a';

const { values: options } = parseArgs({ options: { dump: { type: 'string' }, head: { type: 'string' }, 'model-out': { type: 'string' } } });
if (!options.dump) throw new Error('--dump <dir of one corpus> is required');
const dump = readCorpusDump(options.dump);
const clipSets = [dump.originals, ...dump.altered];
const recordings = dump.recordings.length;

async function embedAll(model: string, scale = 1): Promise<Float32Array[][]> {
  const embedder = await createEmbedder({ model, executionProvider: 'cpu' });
  try {
    const sets: Float32Array[][] = [];
    for (const clips of clipSets) {
      const vectors: Float32Array[] = [];
      for (const clip of clips) vectors.push((await embedder.embed(clip)).map((value) => value * scale));
      sets.push(vectors);
    }
    return sets;
  } finally {
    await embedder.close();
  }
}

/** Fold of each recording: its position within its category, modulo FOLDS (every fold holds some of each). */
function foldOf(): number[] {
  const seen = new Map<string, number>();
  return dump.categories.map((category) => {
    const position = seen.get(category) ?? 0;
    seen.set(category, position + 1);
    return position % FOLDS;
  });
}

interface Scores {
  readonly hits: number[];
  readonly precisionByCategory: Map<string, number[]>;
}

/** Adds the scores of `rows` (queries and category neighbours against all recordings of `sets`). */
function scoreRows(sets: readonly Float32Array[][], rows: readonly number[], scores: Scores): void {
  const index = stackVectors(sets[0]!);
  sets.slice(1).forEach((queries, a) => {
    for (const row of rows) if (queryOutcome(index, queries[row]!, row).rank < 1) scores.hits[a]! += 1;
  });
  for (const row of rows) {
    const category = dump.categories[row]!;
    const k = Math.min(5, dump.categories.filter((other) => other === category).length - 1);
    const similarity = cosineScores(index, sets[0]![row]!);
    const neighbours = [...similarity.keys()].filter((other) => other !== row).sort((x, y) => similarity[y]! - similarity[x]! || x - y);
    const share = neighbours.slice(0, k).filter((other) => dump.categories[other] === category).length / k;
    scores.precisionByCategory.set(category, [...(scores.precisionByCategory.get(category) ?? []), share]);
  }
}

function row(label: string, scores: Scores): string {
  const perCategory = [...scores.precisionByCategory.values()].map((shares) => shares.reduce((sum, value) => sum + value, 0) / shares.length);
  const macro = perCategory.reduce((sum, value) => sum + value, 0) / perCategory.length;
  return `| ${label} | ${scores.hits.map((hits) => (hits / recordings).toFixed(3)).join(' | ')} | ${macro.toFixed(3)} | ${perCategory.map((value) => value.toFixed(2)).join(' / ')} |`;
}

const emptyScores = (): Scores => ({ hits: dump.alterations.map(() => 0), precisionByCategory: new Map() });
const project = (sets: Float32Array[][], fitted: ReturnType<typeof fitProjection>) =>
  sets.map((set) => set.map((x) => l2Normalise(Float32Array.from(applyProjection(fitted, x)))));
const all = [...Array(recordings).keys()];

const workDirectory = mkdtempSync(join(tmpdir(), 'learn-projection-'));
try {
  writeProjectedModel(join(workDirectory, 'features'), 'features', 'learn-projection-features');
  // The embedder returns unit vectors; the head sees the two unit-length parts side by side.
  const features = await embedAll(join(workDirectory, 'features'), Math.sqrt(1 + BASELINE_WEIGHT ** 2));
  console.log(
    `| vectors | ${dump.alterations.map((alteration) => `R@1 ${alteration.name}`).join(' | ')} | category precision | ${[...new Set(dump.categories)].join(' / ')} |`,
  );
  console.log(`|---|${dump.alterations.map(() => '---').join('|')}|---|---|`);
  const asIs = emptyScores();
  scoreRows(
    features.map((set) => set.map((x) => l2Normalise(Float32Array.from(x)))),
    all,
    asIs,
  );
  console.log(row('head input, no head', asIs));

  const folds = foldOf();
  const crossValidated = emptyScores();
  for (let fold = 0; fold < FOLDS; fold++) {
    const fitted = fitProjection(
      features,
      dump.categories,
      SHIPPED_SETTINGS,
      all.filter((i) => folds[i] !== fold),
    );
    scoreRows(
      project(features, fitted),
      all.filter((i) => folds[i] === fold),
      crossValidated,
    );
  }
  console.log(row(`head fitted without the recording (${FOLDS} folds)`, crossValidated));

  const fitted = fitProjection(features, dump.categories, SHIPPED_SETTINGS);
  const learned: LearnedProjectionFile = {
    description:
      'Linear head of the default model: (features - mean) x matrix, fitted by models/fit-projection.ts on bench/quality corpus A (originals and their altered copies, by recording and category).',
    command: COMMAND,
    baselineWeight: BASELINE_WEIGHT,
    settings: SHIPPED_SETTINGS,
    inputDim: fitted.inputDim,
    outputDim: fitted.outputDim,
    mean: encodeFloats(fitted.mean),
    matrix: encodeFloats(fitted.matrix),
  };
  if (options.head) writeFileSync(options.head, `${JSON.stringify(learned, null, 1)}\n`);
  // The model as ONNX computes it: float32, per window, through the embedder.
  const modelDirectory = options['model-out'] ?? join(workDirectory, 'model');
  writeProjectedModel(modelDirectory, decodeLearnedProjection(learned));
  const inSample = emptyScores();
  scoreRows(await embedAll(modelDirectory), all, inSample);
  console.log(row('head fitted on all (the ONNX model; in-sample, so category precision says little)', inSample));
  if (options['model-out']) console.log(`\nwrote ${modelDirectory}/{model.onnx,card.json}`);
} finally {
  rmSync(workDirectory, { recursive: true, force: true });
}
