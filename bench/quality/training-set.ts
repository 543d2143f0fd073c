/**
 * The vectors a robust head is fitted and cross-validated on (bench/quality/learn-robust-head.ts),
 * from the corpora it is fitted on (A in the third attempt; A, B and C in the fourth, with D
 * held back) and seeded synthetic music, never from the music-on-hold tracks:
 *
 * - `sets[s][i]`: recording i as it is (s = 0) and under TRAINING_ALTERATIONS[s - 1]
 *   (the bench's six come first, so `sets.slice(0, 7)` is what the bench judges with);
 * - `excerptGroups`: 5-second stretches of the recordings of at least 10 s and of the synthetic
 *   tracks, each as it is and under EXCERPT_TRAINING_ALTERATIONS (what a segment sees);
 *   `source` is the recording it was cut from (-1: synthetic), so a fold can leave it out.
 *
 * Each vector is the candidate's input (models/build-projected-model.ts `features`). Making
 * them takes minutes per corpus (ffmpeg per copy), so each corpus is cached in its own JSON
 * file (`training-<corpus>.json`; A's also holds the synthetic tracks' excerpts) and the
 * corpora are joined in memory.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeAudioFile } from '@audio-index/audio-input';
import { createEmbedder } from '@audio-index/embedding';
import { BASELINE_WEIGHT, writeProjectedModel } from '../../models/build-projected-model.ts';
import { decodeFloats, encodeFloats } from '../../models/projection-head.ts';
import type { Alteration } from './alterations.ts';
import { buildCorpus, type CorpusName } from './corpus.ts';
import { EXCERPT_SECONDS, excerptContext, LONG_RECORDING_SECONDS } from './excerpts.ts';
import { syntheticTrack } from './synthetic-music.ts';
import { EXCERPT_TRAINING_ALTERATIONS, TRAINING_ALTERATIONS } from './training-alterations.ts';

const SAMPLE_RATE = 16_000;
export const SYNTHETIC_TRACKS = 6;
export const SYNTHETIC_SECONDS = 40;
/** One excerpt per this many seconds of a long recording. */
const SECONDS_PER_EXCERPT = 5;
const CONCURRENCY = 2;

export interface TrainingSet {
  readonly recordings: string[];
  readonly categories: string[];
  readonly alterations: string[];
  readonly sets: Float32Array[][];
  readonly excerptGroups: { readonly source: number; readonly name: string; readonly vectors: Float32Array[] }[];
}

interface CachedTrainingSet extends Omit<TrainingSet, 'sets' | 'excerptGroups'> {
  readonly dim: number;
  readonly sets: string[];
  readonly excerptGroups: { source: number; name: string; vectors: string }[];
}

/** The corpora's training sets side by side, read from or written to `cacheDirectory`; `corpusOf[i]`: recording i's corpus. */
export async function loadOrMakeTrainingSets(
  corpora: readonly CorpusName[],
  cacheDirectory: string,
  log: (line: string) => void,
): Promise<TrainingSet & { readonly corpusOf: CorpusName[] }> {
  const parts: TrainingSet[] = [];
  for (const corpus of corpora) parts.push(await loadOrMakeTrainingSet(join(cacheDirectory, `training-${corpus}.json`), corpus, log));
  return { ...joinTrainingSets(parts), corpusOf: parts.flatMap((part, p) => part.recordings.map(() => corpora[p]!)) };
}

export async function loadOrMakeTrainingSet(cacheFile: string, corpus: CorpusName, log: (line: string) => void): Promise<TrainingSet> {
  if (existsSync(cacheFile)) return fromCache(JSON.parse(readFileSync(cacheFile, 'utf8')) as CachedTrainingSet);
  const made = await makeTrainingSet(corpus, log);
  const dim = made.sets[0]![0]!.length;
  const cached: CachedTrainingSet = {
    recordings: made.recordings,
    categories: made.categories,
    alterations: made.alterations,
    dim,
    sets: made.sets.map((set) => encodeFloats(concatenate(set))),
    excerptGroups: made.excerptGroups.map((group) => ({ source: group.source, name: group.name, vectors: encodeFloats(concatenate(group.vectors)) })),
  };
  writeFileSync(cacheFile, `${JSON.stringify(cached)}\n`);
  return made;
}

/** Recordings, their copies and excerpts one after the other; excerpt sources renumbered to match. */
export function joinTrainingSets(parts: readonly TrainingSet[]): TrainingSet {
  const [first, ...rest] = parts;
  if (!first) throw new Error('no training set to join');
  for (const part of rest) {
    if (part.alterations.join('\n') !== first.alterations.join('\n')) throw new Error('training sets made with different alterations');
  }
  let offset = 0;
  const excerptGroups = parts.flatMap((part) => {
    const groups = part.excerptGroups.map((group) => ({ ...group, source: group.source < 0 ? -1 : group.source + offset }));
    offset += part.recordings.length;
    return groups;
  });
  return {
    recordings: parts.flatMap((part) => part.recordings),
    categories: parts.flatMap((part) => part.categories),
    alterations: first.alterations,
    sets: first.sets.map((_, s) => parts.flatMap((part) => part.sets[s]!)),
    excerptGroups,
  };
}

/** Only A's set holds the synthetic tracks, so joined corpora have them once. */
async function makeTrainingSet(corpusName: CorpusName, log: (line: string) => void): Promise<TrainingSet> {
  const work = mkdtempSync(join(tmpdir(), 'training-set-'));
  const featuresModel = join(work, 'features');
  writeProjectedModel(featuresModel, 'features', 'training-set-features');
  const embedder = await createEmbedder({ model: featuresModel, executionProvider: 'cpu' });
  // The embedder returns unit vectors; the head sees the two unit-length parts side by side.
  const scale = Math.sqrt(1 + BASELINE_WEIGHT ** 2);
  const embed = async (samples: Float32Array) => (await embedder.embed(samples)).map((value) => value * scale);
  try {
    const corpus = await buildCorpus(corpusName, work);
    const decode = (file: string) => decodeAudioFile(file, { sampleRate: SAMPLE_RATE, maxSeconds: 600, timeoutMs: 60_000 });
    const originals: Float32Array[] = [];
    for (const recording of corpus) originals.push(await decode(recording.file));
    const sets: Float32Array[][] = [await Promise.all(originals.map(embed))];
    for (const [a, alteration] of TRAINING_ALTERATIONS.entries()) {
      sets.push(
        await mapWithConcurrency(corpus, async (recording, i) =>
          embed(
            await altered(alteration, {
              source: recording.file,
              samples: originals[i]!,
              outputStem: join(work, `r${i}.t${a}`),
              seedText: `${alteration.name}/${recording.name}`,
            }),
          ),
        ),
      );
      log(`${corpusName.toUpperCase()} under ${alteration.name}`);
    }
    const long = [
      ...corpus.flatMap((recording, i) =>
        originals[i]!.length >= LONG_RECORDING_SECONDS * SAMPLE_RATE ? [{ source: i, name: recording.name, samples: originals[i]! }] : [],
      ),
      ...(corpusName === 'a' ? Array.from({ length: SYNTHETIC_TRACKS }, (_, n) => ({ source: -1, ...syntheticTrack(n, SYNTHETIC_SECONDS) })) : []),
    ];
    const excerpts = long.flatMap(({ source, name, samples }) => {
      const seconds = samples.length / SAMPLE_RATE;
      return Array.from({ length: Math.floor(seconds / SECONDS_PER_EXCERPT) }, (_, n) => ({
        source,
        samples,
        name: `${name}@${n}`,
        start: excerptStart(name, n, seconds),
      }));
    });
    const excerptGroups = await mapWithConcurrency(excerpts, async (excerpt, e) => {
      const vectors: Float32Array[] = [];
      for (const [a, alteration] of [undefined, ...EXCERPT_TRAINING_ALTERATIONS].entries()) {
        const context = excerptContext(
          excerpt.samples,
          SAMPLE_RATE,
          { recording: 0, start: excerpt.start, name: excerpt.name },
          join(work, `e${e}.t${a}`),
          alteration?.name ?? 'none',
        );
        vectors.push(await embed(alteration ? await altered(alteration, context) : context.samples));
      }
      return { source: excerpt.source, name: excerpt.name, vectors };
    });
    log(`${excerptGroups.length} excerpts of ${long.length} long recordings and synthetic tracks`);
    return {
      recordings: corpus.map((recording) => recording.name),
      categories: corpus.map((recording) => recording.category),
      alterations: TRAINING_ALTERATIONS.map((alteration) => alteration.name),
      sets,
      excerptGroups,
    };
  } finally {
    await embedder.close();
    rmSync(work, { recursive: true, force: true });
  }
}

/** Seeded start (seconds) of excerpt n of a recording `seconds` long. */
export function excerptStart(recording: string, n: number, seconds: number): number {
  const unit = createHash('sha256').update(`training/${recording}/${n}`).digest().readUInt32LE(0) / 2 ** 32;
  return Math.round(unit * (seconds - EXCERPT_SECONDS) * 1000) / 1000;
}

async function altered(
  alteration: Alteration,
  context: { source: string; samples: Float32Array; outputStem: string; seedText: string },
): Promise<Float32Array> {
  const copy = await alteration.make({ ...context, sampleRate: SAMPLE_RATE });
  return 'file' in copy ? decodeAudioFile(copy.file, { sampleRate: SAMPLE_RATE, maxSeconds: 600, timeoutMs: 60_000 }) : copy.samples;
}

function fromCache(cached: CachedTrainingSet): TrainingSet {
  const split = (base64: string) => {
    const values = decodeFloats(base64);
    return Array.from({ length: values.length / cached.dim }, (_, row) => values.subarray(row * cached.dim, (row + 1) * cached.dim));
  };
  return {
    recordings: cached.recordings,
    categories: cached.categories,
    alterations: cached.alterations,
    sets: cached.sets.map(split),
    excerptGroups: cached.excerptGroups.map((group) => ({ source: group.source, name: group.name, vectors: split(group.vectors) })),
  };
}

function concatenate(vectors: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(vectors.reduce((sum, vector) => sum + vector.length, 0));
  let offset = 0;
  for (const vector of vectors) {
    out.set(vector, offset);
    offset += vector.length;
  }
  return out;
}

async function mapWithConcurrency<T, R>(items: readonly T[], task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(CONCURRENCY, items.length) }, async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await task(items[i]!, i);
  });
  await Promise.all(lanes);
  return results;
}
