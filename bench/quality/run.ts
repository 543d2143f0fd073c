/**
 * Retrieval quality of an embedding model on real recordings: index every recording of
 * the corpus (in memory, cosine), query with altered copies, report Recall@1/@5 per
 * alteration. Measures the model only: no Redis, S3 or Faiss.
 *
 *   npx tsx bench/quality/run.ts [--model default|<card.json>] [--write] [--dump <dir>]
 *
 * --write   also writes bench/quality/RESULTS.md (text after its "Notes" marker is kept)
 * --dump    writes the exact samples embedded (float32 LE, 16 kHz) and a names.json there,
 *           to study a model offline
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { decodeAudioFile } from '@audio-index/audio-input';
import { createEmbedder, type Embedder } from '@audio-index/embedding';
import { ALTERATIONS, type Alteration } from './alterations.ts';
import { buildCorpus, ensureDebianPackages, type Recording } from './corpus.ts';
import { meanCosineBetween, pairwiseCosines, queryOutcome, stackVectors, summarise, type PairwiseSummary, type QueryOutcome, type RecallSummary, type VectorMatrix } from './metrics.ts';

const here = dirname(fileURLToPath(import.meta.url));
const RESULTS_FILE = resolve(here, 'RESULTS.md');
const NOTES_MARKER = '<!-- Notes below are written by hand; run.ts --write keeps them. -->';
/** ffmpeg processes at once while making altered copies; the machine is shared. */
const CONCURRENCY = 2;

const { values: options } = parseArgs({
  options: {
    model: { type: 'string', default: 'default' },
    write: { type: 'boolean', default: false },
    dump: { type: 'string' },
  },
});

const log = (line: string) => console.error(`[bench/quality] ${line}`);

interface AlterationResult {
  readonly alteration: Alteration;
  readonly summary: RecallSummary;
  readonly misses: { recording: string; rank: number; top: string; selfScore: number }[];
}

async function main(): Promise<void> {
  const started = performance.now();
  await ensureDebianPackages(log);
  const workDirectory = mkdtempSync(join(tmpdir(), 'bench-quality-'));
  const embedder = await createEmbedder({ model: options.model, executionProvider: 'cpu' });
  let embedMs = 0;
  let embeddedSeconds = 0;
  const embed = async (samples: Float32Array) => {
    const t0 = performance.now();
    const vector = await embedder.embed(samples);
    embedMs += performance.now() - t0;
    embeddedSeconds += samples.length / embedder.sampleRate;
    return vector;
  };
  const dump = options.dump ? prepareDump(options.dump) : undefined;
  try {
    const corpus = await buildCorpus(workDirectory);
    log(`corpus: ${corpus.length} recordings; model ${embedder.modelId} (dim ${embedder.dim})`);
    const originals: Float32Array[] = [];
    for (const recording of corpus) originals.push(await decode(recording.file, embedder));
    const vectors: Float32Array[] = [];
    for (const samples of originals) vectors.push(await embed(samples));
    originals.forEach((samples, i) => dump?.write(`original/${corpus[i]!.name}`, samples));
    const index = stackVectors(vectors);

    const results: AlterationResult[] = [];
    for (const [alterationIndex, alteration] of ALTERATIONS.entries()) {
      const outcomes = await mapWithConcurrency(corpus, CONCURRENCY, async (recording, i): Promise<QueryOutcome> => {
        const copy = await alteration.make({
          source: recording.file,
          samples: originals[i]!,
          sampleRate: embedder.sampleRate,
          outputStem: join(workDirectory, `${recording.name}.alt${alterationIndex}`),
          seedText: `${alteration.name}/${recording.name}`,
        });
        const samples = 'file' in copy ? await decode(copy.file, embedder) : copy.samples;
        dump?.write(`alt${alterationIndex}/${recording.name}`, samples);
        return queryOutcome(index, await embed(samples), i);
      });
      const summary = summarise(outcomes);
      const misses = outcomes
        .map((outcome, i) => ({ recording: corpus[i]!.name, rank: outcome.rank, top: corpus[outcome.top]!.name, selfScore: outcome.selfScore }))
        .filter((miss) => miss.rank > 0);
      results.push({ alteration, summary, misses });
      log(`${alteration.name}: R@1 ${summary.recallAt1.toFixed(3)}  R@5 ${summary.recallAt5.toFixed(3)}`);
    }
    dump?.finish(corpus, ALTERATIONS);

    const report = renderReport({
      model: { id: embedder.modelId, dim: embedder.dim, argument: options.model },
      corpus,
      originals,
      sampleRate: embedder.sampleRate,
      results,
      pairwise: pairwiseCosines(index),
      bySource: cosinesBySource(index, corpus),
      embedSecondsPerAudioHour: (embedMs / 1000 / embeddedSeconds) * 3600,
      totalSeconds: (performance.now() - started) / 1000,
    });
    console.log(report);
    if (options.write) {
      const notes = existsSync(RESULTS_FILE) ? readFileSync(RESULTS_FILE, 'utf8').split(NOTES_MARKER)[1] : undefined;
      writeFileSync(RESULTS_FILE, `${report}\n${NOTES_MARKER}${notes ?? '\n'}`);
      log(`wrote ${RESULTS_FILE}`);
    }
  } finally {
    await embedder.close();
    rmSync(workDirectory, { recursive: true, force: true });
  }
}

const SOURCES: readonly Recording['source'][] = ['freedesktop', 'asterisk', 'espeak-ng'];

function cosinesBySource(index: VectorMatrix, corpus: readonly Recording[]): string {
  const rows = (source: Recording['source']) => corpus.flatMap((recording, row) => (recording.source === source ? [row] : []));
  return SOURCES.flatMap((a, i) => SOURCES.slice(i).map((b) => `${a} x ${b} ${meanCosineBetween(index, rows(a), rows(b)).toFixed(3)}`)).join(', ');
}

function decode(file: string, embedder: Embedder): Promise<Float32Array> {
  return decodeAudioFile(file, { sampleRate: embedder.sampleRate, maxSeconds: 600, timeoutMs: 60_000 });
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
      const names = { recordings: corpus.map((r) => r.name), alterations: alterations.map((a, i) => ({ directory: `alt${i}`, name: a.name })) };
      writeFileSync(join(directory, 'names.json'), `${JSON.stringify(names, null, 2)}\n`);
    },
  };
}

interface ReportInput {
  readonly model: { id: string; dim: number; argument: string };
  readonly corpus: readonly Recording[];
  readonly originals: readonly Float32Array[];
  readonly sampleRate: number;
  readonly results: readonly AlterationResult[];
  readonly pairwise: PairwiseSummary;
  readonly bySource: string;
  readonly embedSecondsPerAudioHour: number;
  readonly totalSeconds: number;
}

function renderReport(input: ReportInput): string {
  const { corpus, originals, sampleRate, results, pairwise } = input;
  const count = (source: Recording['source']) => corpus.filter((r) => r.source === source).length;
  const durations = originals.map((samples) => samples.length / sampleRate).sort((a, b) => a - b);
  const totalMinutes = durations.reduce((sum, d) => sum + d, 0) / 60;
  const f3 = (value: number) => value.toFixed(3);
  const rows = results.map(({ alteration, summary }) => {
    const target = alteration.target ? (summary.recallAt1 >= 0.95 ? '≥ 0.95 ✓' : '≥ 0.95 ✗') : '–';
    return `| ${alteration.name} | ${f3(summary.recallAt1)} | ${f3(summary.recallAt5)} | ${target} | ${f3(summary.meanSelfScore)} | ${f3(summary.meanBestOtherScore)} |`;
  });
  const misses = results.flatMap(({ alteration, misses }) =>
    misses.slice(0, 8).map((miss) => `| ${alteration.name} | ${miss.recording} | ${miss.rank + 1} | ${miss.top} | ${f3(miss.selfScore)} |`),
  );
  const hiddenMisses = results.reduce((sum, { misses }) => sum + Math.max(0, misses.length - 8), 0);
  return [
    '# bench/quality: retrieval on real recordings',
    '',
    'Generated by `npx tsx bench/quality/run.ts --write` (the exact command; numbers are deterministic for a given',
    'model, ffmpeg and package versions). Every recording is decoded as the worker does (ffmpeg, mono float32),',
    'embedded with `createEmbedder` and held in memory as a matrix; each altered copy is a query, scored by cosine',
    'against all recordings. Recall@k: the fraction of queries whose own original is among the top k (ties count',
    'against it).',
    '',
    `Model: \`${input.model.id}\` (dim ${input.model.dim}, \`--model ${input.model.argument}\`).`,
    '',
    '| alteration | Recall@1 | Recall@5 | target | mean cos(copy, original) | mean best cos(copy, other) |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `Cosine between different recordings (${pairwise.pairs} pairs): mean ${f3(pairwise.mean)}, median ${f3(pairwise.median)},`,
    `95th percentile ${f3(pairwise.p95)}, max ${f3(pairwise.max)}; ${(pairwise.fractionAbove09 * 100).toFixed(1)}% of pairs above 0.9.`,
    `Mean by source: ${input.bySource}.`,
    '',
    `Embedding took ${input.embedSecondsPerAudioHour.toFixed(1)} s per hour of audio (one inference thread, ${cpus().length} cores shared; indicative only).`,
    `Whole run: ${input.totalSeconds.toFixed(0)} s.`,
    '',
    '## Corpus',
    '',
    `${corpus.length} recordings, ${totalMinutes.toFixed(1)} minutes, ${f3(durations[0] ?? 0)}–${durations.at(-1)?.toFixed(1)} s each (median ${durations[Math.floor(durations.length / 2)]?.toFixed(2)} s):`,
    '',
    `- ${count('freedesktop')} from Debian \`sound-theme-freedesktop\` (/usr/share/sounds/freedesktop/stereo, OGG; of its 35 files, byte-identical copies kept once).`,
    `- ${count('asterisk')} from Debian \`asterisk-core-sounds-en-wav\` (every 8th English prompt in path order, one speaker, 8 kHz WAV; silence/ left out).`,
    `- ${count('espeak-ng')} made with Debian \`espeak-ng\` (4 phrases x voices en, en-us+f3, en+m7).`,
    '',
    'The script installs the missing packages with apt-get when run as root; it also needs `ffmpeg`.',
    '',
    '## Alterations',
    '',
    ...results.map(({ alteration }) => `- **${alteration.name}**: ${alteration.description}.`),
    '',
    '## Misses (first 8 per alteration)',
    '',
    misses.length === 0 ? 'None.' : ['| alteration | query | rank of original | ranked first | cos(copy, original) |', '|---|---|---|---|---|', ...misses].join('\n'),
    hiddenMisses > 0 ? `\n…and ${hiddenMisses} more.` : '',
  ].join('\n');
}

await main();
