/**
 * Issue 10 item 5: the learned head of models/build-projected-model.ts fitted on many
 * alterations (bench/quality/training-set.ts: speed and tempo both ways and several amounts,
 * noise 10-30 dB, on the corpora's recordings and on 5-second excerpts of long recordings and
 * synthetic music), and blended with the default model's own vector (a cosine is
 * (1 - w) x v3's + w x the head's). Everything is chosen on the training corpora by a 5-fold
 * estimate (each recording scored by a head fitted without it, its copies and its excerpts,
 * against all of them, and each excerpt against the segments of their long recordings and the
 * synthetic tracks: segment-estimate.ts), with the rule: no Recall@1 of any training alteration
 * and no segment-scale figure below v3's, then the highest category precision.
 *
 * Third attempt (`--grid third`, fitted on A): judged once on B and C, not shipped. Fourth
 * (`--grid joined --corpora a,b,c`): fitted on A, B and C, judged once on D, which nothing
 * was chosen on. bench/quality/RESULTS.md has both.
 *
 *   nice -n 19 npx tsx bench/quality/learn-robust-head.ts --corpora a,b,c --grid joined --model-out /tmp/q/robust
 *   nice -n 19 npx tsx bench/quality/run.ts --model /tmp/q/robust/card.json --corpus a,b,c,d
 *
 * --corpora    training corpora (default a); each one's vectors are cached in --cache-dir as
 *              training-<corpus>.json (minutes to make; delete to remake)
 * --grid       which list of candidate heads to try: third, fourth, narrow or joined
 * --only       one candidate of the grid, by label
 * --rule       strict (default; the third attempt's) or net: see alterationsKeep
 * --in-sample  also keep the bench's six figures of each training corpus at v3's or above for
 *              the head fitted on all of them (in-sample.ts; the fifth attempt's rule)
 * --model-out  writes the chosen head's model (model.onnx, card.json, head.json) there */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEmbedder, l2Normalise } from '@audio-index/embedding';
import { STATISTICS_DIM } from '../../models/build-statistics-model.ts';
import { BASELINE_WEIGHT, writeProjectedModel } from '../../models/build-projected-model.ts';
import { applyProjection, fitProjection, type FittedProjection } from '../../models/fit-projection.ts';
import { decodeLearnedProjection, encodeFloats, type LearnedProjectionFile } from '../../models/projection-head.ts';
import { ALTERATIONS } from './alterations.ts';
import { cosineScores, stackVectors } from './metrics.ts';
import { excerptPlaces, makeSegmentSet, SEGMENT_ALTERATIONS, segmentHits } from './segment-estimate.ts';
import { ensureDebianPackages } from './corpus.ts';
import { originalSamples, parseTrainingCorpora } from './training-corpora.ts';
import { GRIDS, type Candidate } from './robust-head-grids.ts';
import { loadOrMakeTrainingSets } from './training-set.ts';
import { inSampleFigures, type InSampleFigures } from './in-sample.ts';

const FOLDS = 5;
const BENCH_SETS = 1 + ALTERATIONS.length;
const HEAD_WEIGHTS = [0, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 1];

const { values: options } = parseArgs({
  options: {
    corpora: { type: 'string', default: 'a' },
    'cache-dir': { type: 'string', default: '/tmp/q' },
    'model-out': { type: 'string' },
    only: { type: 'string' },
    grid: { type: 'string', default: 'third' },
    rule: { type: 'string', default: 'strict' },
    'in-sample': { type: 'boolean', default: false },
  },
});
const log = (line: string) => console.error(`[learn-robust-head] ${line}`);
const trainingCorpora = parseTrainingCorpora(options.corpora);
await ensureDebianPackages(trainingCorpora, log);
const training = await loadOrMakeTrainingSets(trainingCorpora, options['cache-dir'], log);
const work = mkdtempSync(join(tmpdir(), 'learn-robust-head-'));
writeProjectedModel(join(work, 'features'), 'features', 'learn-robust-head-features');
const segmentSet = await makeSegmentSet(join(work, 'features'), Math.sqrt(1 + BASELINE_WEIGHT ** 2), work, trainingCorpora);
rmSync(work, { recursive: true, force: true });
const places = excerptPlaces(training, segmentSet);
log(`segment estimate: ${segmentSet.vectors.length} segments of ${segmentSet.seconds.size} long recordings, ${places.length} excerpts`);
const { categories } = training;
const recordings = categories.length;
const all = [...Array(recordings).keys()];
const v3Part = (x: Float32Array) => l2Normalise(x.slice(0, STATISTICS_DIM));
const v3Sets = training.sets.map((set) => set.map(v3Part));
const segmentV3 = segmentSet.vectors.map(v3Part);
const excerptV3 = training.excerptGroups.map((group) => group.vectors.map(v3Part));
/** Every training alteration is also scored (on held-out recordings): +5% alone says little where v3 is at 1.000. */
const SCORED_SETS = training.sets.length;

/** Fold of each recording: its position within its category, modulo FOLDS (every fold holds some of each). */
const folds = (() => {
  const seen = new Map<string, number>();
  return categories.map((category) => {
    const position = seen.get(category) ?? 0;
    seen.set(category, position + 1);
    return position % FOLDS;
  });
})();

/** An excerpt's fold: its recording's, or for a synthetic track its number modulo FOLDS. */
const groupFolds = training.excerptGroups.map((group) =>
  group.source >= 0 ? folds[group.source]! : Number(/synthetic-music-(\d+)@/.exec(group.name)![1]) % FOLDS,
);

/** Fitted without the recordings and excerpts of `heldOut` (all of them when it is undefined). */
function fit(candidate: Candidate, heldOut?: number): FittedProjection {
  const rows = all.filter((i) => folds[i] !== heldOut);
  const sets = candidate.allAlterations ? training.sets : training.sets.slice(0, BENCH_SETS);
  const groups = training.excerptGroups.filter((_, g) => groupFolds[g] !== heldOut).map((group) => group.vectors);
  const extra = candidate.excerptWeight > 0 ? { groups, weight: candidate.excerptWeight } : undefined;
  return fitProjection(sets, categories, candidate.settings, rows, extra);
}

/** scores[s][row]: cosines of recording `row` (as it is, s = 0, or under training alteration s) against every original. */
type Scores = Float64Array[][];

function scoresOf(sets: readonly Float32Array[][], rows: readonly number[], into: Scores): void {
  const index = stackVectors(sets[0]!);
  sets.forEach((set, s) => rows.forEach((row) => (into[s]![row] = cosineScores(index, set[row]!))));
}

const emptyScores = (): Scores => Array.from({ length: SCORED_SETS }, () => new Array<Float64Array>(recordings));
const project = (fitted: FittedProjection, sets: readonly Float32Array[][]) =>
  sets.map((set) => set.map((x) => l2Normalise(Float32Array.from(applyProjection(fitted, x)))));

/** Per fold, the head's output (unit length) for every segment and for the fold's excerpts (by group, then vector). */
interface SegmentProjections {
  readonly segments: Float32Array[][];
  readonly excerpts: Float32Array[][];
}

function crossValidatedScores(candidate: Candidate): { scores: Scores; segments: SegmentProjections } {
  const scores = emptyScores();
  const segments: SegmentProjections = { segments: [], excerpts: [] };
  for (let fold = 0; fold < FOLDS; fold++) {
    const fitted = fit(candidate, fold);
    scoresOf(
      project(fitted, training.sets),
      all.filter((i) => folds[i] === fold),
      scores,
    );
    segments.segments[fold] = project(fitted, [segmentSet.vectors])[0]!;
    training.excerptGroups.forEach((group, g) => {
      if (groupFolds[g] === fold) segments.excerpts[g] = project(fitted, [group.vectors])[0]!;
    });
  }
  return { scores, segments };
}

const blend = (v3: Float32Array, head: Float32Array | undefined, headWeight: number) => {
  if (!head || headWeight === 0) return v3;
  const out = new Float32Array(v3.length + head.length);
  v3.forEach((value, k) => (out[k] = Math.sqrt(1 - headWeight) * value));
  head.forEach((value, k) => (out[v3.length + k] = Math.sqrt(headWeight) * value));
  return out;
};

/** Segment-scale recording R@1 and place per SEGMENT_ALTERATIONS, each excerpt scored by its fold's head. */
function evaluateSegments(head: SegmentProjections | undefined, headWeight: number): { recording: number; place: number }[] {
  const totals = SEGMENT_ALTERATIONS.map(() => ({ recording: 0, place: 0 }));
  for (let fold = 0; fold < FOLDS; fold++) {
    const rows = training.excerptGroups.flatMap((_, g) => (groupFolds[g] === fold ? [g] : []));
    const index = segmentV3.map((v3, row) => blend(v3, head?.segments[fold]![row], headWeight));
    const hits = segmentHits(index, segmentSet, (g, vector) => blend(excerptV3[g]![vector]!, head?.excerpts[g]![vector], headWeight), places, rows);
    hits.forEach((hit, a) => {
      totals[a]!.recording += hit.recording / training.excerptGroups.length;
      totals[a]!.place += hit.place / training.excerptGroups.length;
    });
  }
  return totals;
}

/** Recall@1 per training alteration (ties count against) and macro category precision, for cosines mixed at `headWeight`. */
function evaluate(v3: Scores, head: Scores, headWeight: number) {
  const mixed = (s: number, row: number) => v3[s]![row]!.map((value, other) => (1 - headWeight) * value + headWeight * head[s]![row]![other]!);
  const recall = training.alterations.map((_, a) => {
    let hits = 0;
    for (const row of all) {
      const scores = mixed(a + 1, row);
      if (scores.every((score, other) => other === row || score < scores[row]!)) hits += 1;
    }
    return hits / recordings;
  });
  const byCategory = new Map<string, number[]>();
  for (const row of all) {
    const category = categories[row]!;
    const k = Math.min(5, categories.filter((other) => other === category).length - 1);
    const similarity = mixed(0, row);
    const neighbours = all.filter((other) => other !== row).sort((x, y) => similarity[y]! - similarity[x]! || x - y);
    byCategory.set(category, [...(byCategory.get(category) ?? []), neighbours.slice(0, k).filter((other) => categories[other] === category).length / k]);
  }
  const perCategory = [...byCategory.values()].map((shares) => shares.reduce((sum, value) => sum + value, 0) / shares.length);
  return { recall, perCategory, precision: perCategory.reduce((sum, value) => sum + value, 0) / perCategory.length };
}

const format = (result: ReturnType<typeof evaluate>) =>
  `${result.recall
    .slice(0, ALTERATIONS.length)
    .map((value) => value.toFixed(3))
    .join(' | ')} | ${result.precision.toFixed(3)} | ${result.perCategory.map((value) => value.toFixed(2)).join(' / ')} | ${worstExtra(result)}`;
/** The training alterations beyond the bench's six: their mean and lowest Recall@1 and, where one falls below v3's, which. */
const worstExtra = (result: ReturnType<typeof evaluate>) => {
  const extra = result.recall.slice(ALTERATIONS.length);
  const mean = extra.reduce((sum, value) => sum + value, 0) / extra.length;
  const falls = extra.flatMap((value, e) =>
    value < v3.recall[ALTERATIONS.length + e]! ? [`${training.alterations[ALTERATIONS.length + e]} ${value.toFixed(3)}`] : [],
  );
  return `mean ${mean.toFixed(3)}, lowest ${Math.min(...extra).toFixed(3)}${falls.length > 0 ? `; below v3: ${falls.join(', ')}` : ''}`;
};

/**
 * `strict`: no training alteration's Recall@1 below v3's. `net`: none of the bench's six
 * below v3's, and the other training alterations together (their hits summed) not below
 * v3's: with hundreds of recordings and 13 more alterations, one query of one of them
 * flipping rejects a head that gains dozens elsewhere, so the extra ones count as a whole;
 * the bench judges with its six, which are held one by one.
 */
function alterationsKeep(recall: readonly number[]): boolean {
  const atLeast = (value: number, reference: number) => value >= reference - 1e-9;
  const benchKept = recall.slice(0, ALTERATIONS.length).every((value, a) => atLeast(value, v3.recall[a]!));
  if (options.rule === 'strict') return benchKept && recall.every((value, a) => atLeast(value, v3.recall[a]!));
  const sum = (values: readonly number[]) => values.slice(ALTERATIONS.length).reduce((total, value) => total + value, 0);
  return benchKept && atLeast(sum(recall), sum(v3.recall));
}

const v3Scores = emptyScores();
scoresOf(v3Sets, all, v3Scores);
const v3 = evaluate(v3Scores, v3Scores, 0);
const v3Segments = evaluateSegments(undefined, 0);
const formatSegments = (hits: readonly { recording: number; place: number }[]) =>
  hits.map((hit) => `${hit.recording.toFixed(3)} / ${hit.place.toFixed(3)}`).join(' | ');
const segmentsKeep = (hits: readonly { recording: number; place: number }[]) =>
  hits.every((hit, a) => hit.recording >= v3Segments[a]!.recording - 1e-9 && hit.place >= v3Segments[a]!.place - 1e-9);
console.error(`v3 on every training alteration: ${training.alterations.map((name, a) => `${name} ${v3.recall[a]!.toFixed(3)}`).join(', ')}`);
console.log(
  `| head | w | ${ALTERATIONS.map((alteration) => alteration.name).join(' | ')} | category precision | ${[...new Set(categories)].join(' / ')} | mean and lowest R@1 of the other ${training.alterations.length - ALTERATIONS.length} training alterations | ${SEGMENT_ALTERATIONS.map(({ name }) => `segments ${name}: recording / place`).join(' | ')} |`,
);
console.log(`|---|---|${ALTERATIONS.map(() => '---').join('|')}|---|---|---|${SEGMENT_ALTERATIONS.map(() => '---').join('|')}|`);
console.log(`| v3 alone | 0 | ${format(v3)} | ${formatSegments(v3Segments)} |`);
const benchSets = training.sets.slice(0, BENCH_SETS);
const v3BenchSets = v3Sets.slice(0, BENCH_SETS);
const v3InSample = inSampleFigures(v3BenchSets, v3BenchSets, training.corpusOf, 0);
console.error(`v3 in-sample: ${v3InSample.map(({ corpus, recall }) => `${corpus} ${recall.map((value) => value.toFixed(3)).join('/')}`).join('; ')}`);
/** The bench figures of a training corpus that the head fitted on all of them puts below v3's. */
const fallsInSample = (figures: readonly InSampleFigures[]) =>
  figures.flatMap(({ corpus, recall }, c) =>
    recall.flatMap((value, a) => (value < v3InSample[c]!.recall[a]! - 1e-9 ? [`${corpus.toUpperCase()} ${ALTERATIONS[a]!.name} ${value.toFixed(3)}`] : [])),
  );
let best: { candidate: Candidate; headWeight: number; result: ReturnType<typeof evaluate> } | undefined;
if (options.rule !== 'strict' && options.rule !== 'net') throw new Error(`--rule must be strict or net, got ${options.rule}`);
const grid = GRIDS[options.grid];
if (!grid) throw new Error(`--grid must be one of ${Object.keys(GRIDS).join(', ')}, got ${options.grid}`);
const chosen = options.only === undefined ? grid : grid.filter((candidate) => candidate.label === options.only);
for (const candidate of chosen) {
  const started = performance.now();
  const head = crossValidatedScores(candidate);
  const fullHead = project(fit(candidate), benchSets);
  for (const headWeight of HEAD_WEIGHTS.slice(1)) {
    const result = evaluate(v3Scores, head.scores, headWeight);
    const segments = evaluateSegments(head.segments, headWeight);
    const inSampleFalls = fallsInSample(inSampleFigures(v3BenchSets, fullHead, training.corpusOf, headWeight));
    const keeps = alterationsKeep(result.recall) && segmentsKeep(segments) && (!options['in-sample'] || inSampleFalls.length === 0);
    console.log(
      `| ${candidate.label} (5-fold) | ${headWeight} | ${format(result)} | ${formatSegments(segments)} | in-sample: ${inSampleFalls.join(', ') || 'kept'} |${keeps ? '' : ' falls'}`,
    );
    if (keeps && (!best || result.precision > best.result.precision)) best = { candidate, headWeight, result };
  }
  log(`${candidate.label}: ${((performance.now() - started) / 1000).toFixed(0)} s`);
}
if (!best) throw new Error(`no candidate keeps the alterations (rule ${options.rule}) and the segment figures at v3 or above`);
console.log(`\nchosen: ${best.candidate.label}, head weight ${best.headWeight}: ${format(best.result)}`);

if (options['model-out']) {
  const fitted = fit(best.candidate);
  const learned: LearnedProjectionFile = {
    description: `Head fitted on all of corpora ${trainingCorpora.join(', ').toUpperCase()} (${best.candidate.label}), blended with v3 at head weight ${best.headWeight}; bench/quality/learn-robust-head.ts.`,
    command: `npx tsx bench/quality/learn-robust-head.ts --corpora ${options.corpora} --grid ${options.grid} --rule ${options.rule} --model-out ${options['model-out']}`,
    baselineWeight: BASELINE_WEIGHT,
    settings: best.candidate.settings,
    inputDim: fitted.inputDim,
    outputDim: fitted.outputDim,
    mean: encodeFloats(fitted.mean),
    matrix: encodeFloats(fitted.matrix),
    headWeight: best.headWeight,
  };
  mkdirSync(options['model-out'], { recursive: true });
  writeFileSync(join(options['model-out'], 'head.json'), `${JSON.stringify(learned, null, 1)}\n`);
  writeProjectedModel(options['model-out'], decodeLearnedProjection(learned), 'logmel-stats-robust-candidate');
  // The written model against the same fit in float64 here, on A's originals: they must agree.
  const embedder = await createEmbedder({ model: options['model-out'], executionProvider: 'cpu' });
  const fromModel = await embedder.embed(await originalSamples(trainingCorpora[0]!, 0));
  await embedder.close();
  const expected = [
    ...Array.from(v3Sets[0]![0]!, (value) => Math.sqrt(1 - best.headWeight) * value),
    ...Array.from(project(fitted, [[training.sets[0]![0]!]])[0]![0]!, (value) => Math.sqrt(best.headWeight) * value),
  ];
  const cosine = expected.reduce((sum, value, k) => sum + value * fromModel[k]!, 0);
  console.log(`wrote ${options['model-out']}/{model.onnx,card.json,head.json}; ONNX vs float64 on ${training.recordings[0]}: cosine ${cosine.toFixed(6)}`);
}
