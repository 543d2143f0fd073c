/**
 * Retrieval quality of an embedding model on real recordings, beside a plain baseline in the
 * same run: index every recording of a corpus (in memory, cosine), query with altered copies,
 * report Recall@1/@5 per alteration and category precision; then the excerpt case (5-second
 * excerpts of long recordings against their 5-second segments). Measures the models only:
 * no Redis, S3 or Faiss.
 *
 *   npx tsx bench/quality/run.ts [--model default|<card.json>] [--baseline <card.json>]
 *                                [--corpus all|a|b|c|d|e|both] [--no-excerpts] [--write] [--dump <dir>]
 *
 * --baseline  default: models/build-baseline-model.ts (log-mel mean + std), built into a temp dir
 * --corpus    all (default): every corpus but those still held back (UNSEEN_CORPORA, none now).
 *             a: the bench's original 109 recordings; b: others of the same make-up; c: other
 *             sounds, prompts and voices; d and e: the ones the shipped model's head was neither
 *             fitted nor chosen on (a-c were both; e judged the fifth attempt's candidate once);
 *             both: a and b; or a comma list (b,c)
 * --write     also writes bench/quality/RESULTS.md (text after its "Notes" marker is kept)
 * --dump      writes the exact samples embedded (float32 LE, 16 kHz) and a names.json per
 *             corpus there, to study a model offline
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeAudioFile } from '@audio-index/audio-input';
import { createEmbedder, type Embedder } from '@audio-index/embedding';
import { writeBaselineModel } from '../../models/build-baseline-model.ts';
import { ALTERATIONS, type Alteration } from './alterations.ts';
import { buildCorpus, CORPUS_NAMES, ensureDebianPackages, musicOnHold, UNSEEN_CORPORA, type CorpusName, type Recording } from './corpus.ts';
import {
  excerptContext,
  excerptOutcome,
  indexSegments,
  LONG_RECORDING_SECONDS,
  planExcerpts,
  repeatChecker,
  type ExcerptOutcome,
  type SegmentIndex,
} from './excerpts.ts';
import { categoryPrecision, pairwiseCosines, queryOutcome, stackVectors, summarise, type QueryOutcome, type VectorMatrix } from './metrics.ts';
import { renderReport, type CorpusReport, type ExcerptReport, type ModelResult } from './report.ts';

const here = dirname(fileURLToPath(import.meta.url));
const RESULTS_FILE = resolve(here, 'RESULTS.md');
const NOTES_MARKER = '<!-- Notes below are written by hand; run.ts --write keeps them. -->';
/** ffmpeg processes at once while making altered copies; the machine is shared. */
const CONCURRENCY = 2;

const { values: options } = parseArgs({
  options: {
    model: { type: 'string', default: 'default' },
    baseline: { type: 'string' },
    corpus: { type: 'string', default: 'all' },
    'no-excerpts': { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
    dump: { type: 'string' },
  },
});

const log = (line: string) => console.error(`[bench/quality] ${line}`);

interface ModelUnderTest {
  readonly role: 'model' | 'baseline';
  readonly argument: string;
  readonly embedder: Embedder;
}

async function main(): Promise<void> {
  const started = performance.now();
  const corpora = parseCorpora(options.corpus);
  await ensureDebianPackages(corpora, log);
  const workDirectory = mkdtempSync(join(tmpdir(), 'bench-quality-'));
  let baselineArgument = options.baseline;
  if (!baselineArgument) {
    baselineArgument = join(workDirectory, 'baseline');
    writeBaselineModel(baselineArgument);
  }
  const models: ModelUnderTest[] = [
    { role: 'model', argument: options.model, embedder: await createEmbedder({ model: options.model, executionProvider: 'cpu' }) },
    {
      role: 'baseline',
      argument: options.baseline ?? 'models/build-baseline-model.ts',
      embedder: await createEmbedder({ model: baselineArgument, executionProvider: 'cpu' }),
    },
  ];
  const sampleRate = models[0]!.embedder.sampleRate;
  if (models.some(({ embedder }) => embedder.sampleRate !== sampleRate)) throw new Error('the model and the baseline must share a sample rate');
  try {
    const corpusReports: CorpusReport[] = [];
    const longRecordings: { recording: Recording; samples: Float32Array }[] = [];
    for (const corpusName of corpora) {
      const report = await measureCorpus(corpusName, models, sampleRate, workDirectory);
      corpusReports.push(report.report);
      longRecordings.push(...report.long);
    }
    let excerpts: ExcerptReport | undefined;
    if (!options['no-excerpts']) {
      for (const recording of musicOnHold()) longRecordings.push({ recording, samples: await decode(recording.file, sampleRate) });
      excerpts = await measureExcerpts(longRecordings, models, sampleRate, workDirectory);
    }
    const report = renderReport({
      command: ['npx tsx bench/quality/run.ts', ...process.argv.slice(2)].join(' '),
      models: models.map(({ embedder, argument }) => ({ id: embedder.modelId, dim: embedder.dim, argument })),
      corpora: corpusReports,
      excerpts,
      totalSeconds: (performance.now() - started) / 1000,
    });
    console.log(report);
    if (options.write) {
      const notes = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8').split(NOTES_MARKER)[1] : undefined;
      writeFileSync(RESULTS_FILE, `${report}\n${NOTES_MARKER}${notes ?? '\n'}`);
      log(`wrote ${RESULTS_FILE}`);
    }
  } finally {
    await Promise.all(models.map(({ embedder }) => embedder.close()));
    rmSync(workDirectory, { recursive: true, force: true });
  }
}

async function measureCorpus(corpusName: CorpusName, models: readonly ModelUnderTest[], sampleRate: number, workDirectory: string) {
  const corpus = await buildCorpus(corpusName, workDirectory);
  log(`corpus ${corpusName}: ${corpus.length} recordings`);
  const dump = options.dump ? prepareDump(join(options.dump, corpusName)) : undefined;
  const originals: Float32Array[] = [];
  for (const recording of corpus) originals.push(await decode(recording.file, sampleRate));
  originals.forEach((samples, i) => dump?.write(`original/${corpus[i]!.name}`, samples));
  const indexes: VectorMatrix[] = [];
  for (const { embedder } of models) {
    const vectors: Float32Array[] = [];
    for (const samples of originals) vectors.push(await embedder.embed(samples));
    indexes.push(stackVectors(vectors));
  }
  const outcomes: QueryOutcome[][][] = models.map(() => []);
  for (const [alterationIndex, alteration] of ALTERATIONS.entries()) {
    const perQuery = await mapWithConcurrency(corpus, CONCURRENCY, async (recording, i) => {
      const copy = await alteration.make({
        source: recording.file,
        samples: originals[i]!,
        sampleRate,
        outputStem: join(workDirectory, `${corpusName}-${recording.name}.alt${alterationIndex}`),
        seedText: `${alteration.name}/${recording.name}`,
      });
      const samples = 'file' in copy ? await decode(copy.file, sampleRate) : copy.samples;
      dump?.write(`alt${alterationIndex}/${recording.name}`, samples);
      return Promise.all(models.map(async ({ embedder }, m) => queryOutcome(indexes[m]!, await embedder.embed(samples), i)));
    });
    models.forEach((_, m) => outcomes[m]!.push(perQuery.map((outcome) => outcome[m]!)));
    log(`${corpusName} ${alteration.name}: R@1 ${models.map((_, m) => summarise(outcomes[m]!.at(-1)!).recallAt1.toFixed(3)).join(' vs ')}`);
  }
  dump?.finish(corpus, ALTERATIONS);
  const results: ModelResult[] = models.map((_, m) => ({
    alterations: ALTERATIONS.map((alteration, a) => {
      const byQuery = outcomes[m]![a]!;
      const misses = byQuery
        .map((outcome, i) => ({ recording: corpus[i]!.name, rank: outcome.rank, top: corpus[outcome.top]!.name, selfScore: outcome.selfScore }))
        .filter((miss) => miss.rank > 0);
      return { alteration, summary: summarise(byQuery), misses };
    }),
    categories: categoryPrecision(
      indexes[m]!,
      corpus.map((recording) => recording.category),
    ),
    pairwise: pairwiseCosines(indexes[m]!),
  }));
  const report: CorpusReport = {
    name: corpusName,
    corpus,
    durations: originals.map((samples) => samples.length / sampleRate),
    results,
    loadAverage: loadAverage(),
  };
  const long = corpus.flatMap((recording, i) => (originals[i]!.length / sampleRate >= LONG_RECORDING_SECONDS ? [{ recording, samples: originals[i]! }] : []));
  return { report, long };
}

async function measureExcerpts(
  long: readonly { recording: Recording; samples: Float32Array }[],
  models: readonly ModelUnderTest[],
  sampleRate: number,
  workDirectory: string,
): Promise<ExcerptReport> {
  const recordings = long.map(({ recording }) => recording);
  const samples = long.map((entry) => entry.samples);
  const excerpts = planExcerpts(
    recordings,
    samples.map((clip) => clip.length / sampleRate),
  );
  const indexes: SegmentIndex[] = [];
  for (const { embedder } of models) indexes.push(await indexSegments(embedder, samples));
  log(`excerpts: ${excerpts.length} from ${recordings.length} recordings, ${indexes[0]!.owner.length} segments`);
  const recurs = indexes.map((index) => repeatChecker(samples, sampleRate, excerpts, index));
  const results = [];
  for (const [alterationIndex, alteration] of ALTERATIONS.entries()) {
    const perQuery = await mapWithConcurrency(excerpts, CONCURRENCY, async (excerpt, e) => {
      const context = excerptContext(
        samples[excerpt.recording]!,
        sampleRate,
        excerpt,
        join(workDirectory, `excerpt${e}.alt${alterationIndex}`),
        alteration.name,
      );
      const copy = await alteration.make(context);
      const query = 'file' in copy ? await decode(copy.file, sampleRate) : copy.samples;
      return Promise.all(models.map(async ({ embedder }, m) => excerptOutcome(indexes[m]!, await embedder.embed(query), excerpt, (row) => recurs[m]!(e, row))));
    });
    const rate = (m: number, key: keyof ExcerptOutcome) => perQuery.filter((outcome) => outcome[m]![key]).length / perQuery.length;
    results.push({
      alteration,
      byModel: models.map((_, m) => ({ recording: rate(m, 'recordingFound'), place: rate(m, 'placeFound'), placeOrRepeat: rate(m, 'placeOrRepeatFound') })),
    });
    log(`excerpts ${alteration.name}: recording R@1 ${models.map((_, m) => rate(m, 'recordingFound').toFixed(3)).join(' vs ')}`);
  }
  return { recordings, excerpts: excerpts.length, segments: indexes[0]!.owner.length, results, loadAverage: loadAverage() };
}

function parseCorpora(argument: string): CorpusName[] {
  const seen = CORPUS_NAMES.filter((name) => !UNSEEN_CORPORA.includes(name));
  const names = argument === 'all' ? seen : argument === 'both' ? ['a', 'b'] : argument.split(',');
  const corpora = names.filter((name): name is CorpusName => (CORPUS_NAMES as readonly string[]).includes(name));
  if (corpora.length === 0 || corpora.length !== names.length)
    throw new Error(`--corpus must be all, a, b, c, d, e, both or a comma list of them, got ${argument}`);
  return corpora;
}

/** The machine is shared: each table says how busy it was when it was measured. */
function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

function decode(file: string, sampleRate: number): Promise<Float32Array> {
  return decodeAudioFile(file, { sampleRate, maxSeconds: 600, timeoutMs: 60_000 });
}

async function mapWithConcurrency<T, R>(items: readonly T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await task(items[i]!, i);
  });
  await Promise.all(lanes);
  return results;
}

function prepareDump(directory: string) {
  return {
    write(name: string, samples: Float32Array) {
      const file = join(directory, `${name}.f32`);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength));
    },
    finish(corpus: readonly Recording[], alterations: readonly Alteration[]) {
      const names = {
        recordings: corpus.map((r) => r.name),
        categories: corpus.map((r) => r.category),
        alterations: alterations.map((a, i) => ({ directory: `alt${i}`, name: a.name })),
      };
      writeFileSync(join(directory, 'names.json'), `${JSON.stringify(names, null, 2)}\n`);
    },
  };
}

await main();
