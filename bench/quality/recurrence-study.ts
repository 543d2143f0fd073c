/**
 * How much each excerpt of bench/quality's excerpt case recurs elsewhere in its recording: the
 * highest normalised correlation (recurrence.ts) of its unaltered samples with any stretch
 * starting half an excerpt or more away from its own start. Backs RECURRENCE_CORRELATION's
 * comment: speech and effects stay far below 0.9, loop-based music often reaches it.
 *
 *   npx tsx bench/quality/recurrence-study.ts [--corpus a,b,c,d]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { decodeAudioFile } from '@audio-index/audio-input';
import { buildCorpus, CORPUS_NAMES, musicOnHold, type CorpusName, type Recording } from './corpus.ts';
import { EXCERPT_SECONDS, LONG_RECORDING_SECONDS, planExcerpts } from './excerpts.ts';
import { bestCorrelationBetween, RECURRENCE_CORRELATION } from './recurrence.ts';

const SAMPLE_RATE = 16_000;
const { values: options } = parseArgs({ options: { corpus: { type: 'string', default: 'a,b,c,d' } } });
const corpora = options.corpus.split(',') as CorpusName[];
if (corpora.some((name) => !CORPUS_NAMES.includes(name))) throw new Error(`--corpus must be a comma list of ${CORPUS_NAMES.join(', ')}`);

const work = mkdtempSync(join(tmpdir(), 'recurrence-study-'));
const decode = (file: string) => decodeAudioFile(file, { sampleRate: SAMPLE_RATE, maxSeconds: 600, timeoutMs: 60_000 });
const long: { recording: Recording; samples: Float32Array }[] = [];
for (const corpus of corpora) {
  for (const recording of await buildCorpus(corpus, work)) {
    const samples = await decode(recording.file);
    if (samples.length / SAMPLE_RATE >= LONG_RECORDING_SECONDS) long.push({ recording, samples });
  }
}
for (const recording of musicOnHold()) long.push({ recording, samples: await decode(recording.file) });
rmSync(work, { recursive: true, force: true });

const excerpts = planExcerpts(
  long.map(({ recording }) => recording),
  long.map(({ samples }) => samples.length / SAMPLE_RATE),
);
const bySource = new Map<string, number[]>();
for (const excerpt of excerpts) {
  const { recording, samples } = long[excerpt.recording]!;
  const from = Math.round(excerpt.start * SAMPLE_RATE);
  const own = samples.subarray(from, from + EXCERPT_SECONDS * SAMPLE_RATE);
  const away = (EXCERPT_SECONDS / 2) * SAMPLE_RATE;
  const elsewhere = Math.max(bestCorrelationBetween(samples, own, 0, from - away), bestCorrelationBetween(samples, own, from + away, samples.length));
  console.log(`${excerpt.name.padEnd(48)} ${elsewhere.toFixed(3)}`);
  const kind = recording.source === 'music-on-hold' ? 'music-on-hold' : 'speech and effects';
  bySource.set(kind, [...(bySource.get(kind) ?? []), elsewhere]);
}
for (const [kind, values] of bySource) {
  const recurring = values.filter((value) => value >= RECURRENCE_CORRELATION).length;
  console.log(`${kind}: ${values.length} excerpts, highest ${Math.max(...values).toFixed(3)}, ${recurring} at ${RECURRENCE_CORRELATION} or more`);
}
