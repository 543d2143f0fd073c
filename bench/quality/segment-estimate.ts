/**
 * The excerpt case of run.ts, estimated on the training corpora for learn-robust-head.ts:
 * their recordings of at least 10 s and the synthetic tracks (training-set.ts) indexed as 5-second segments
 * (hop 2.5 s), queried with the training set's 5-second excerpts under the bench's
 * alterations (all but the cut, which the excerpts were not given), each scored by a head
 * fitted without the excerpt's recording (its fold). The third attempt's candidate failed at
 * segment scale, which the whole-recording estimate does not see.
 */
import { decodeAudioFile } from '@audio-index/audio-input';
import { createEmbedder, l2Normalise } from '@audio-index/embedding';
import { ALTERATIONS } from './alterations.ts';
import { buildCorpus, type CorpusName } from './corpus.ts';
import { EXCERPT_SECONDS, indexSegments, LONG_RECORDING_SECONDS } from './excerpts.ts';
import { cosineScores, stackVectors } from './metrics.ts';
import { syntheticTrack } from './synthetic-music.ts';
import { EXCERPT_TRAINING_ALTERATIONS } from './training-alterations.ts';
import { SYNTHETIC_SECONDS, SYNTHETIC_TRACKS, excerptStart, type TrainingSet } from './training-set.ts';

const SAMPLE_RATE = 16_000;
/** The bench's alterations the excerpts were given, by index in EXCERPT_TRAINING_ALTERATIONS (+1: vectors[0] is the excerpt as it is). */
export const SEGMENT_ALTERATIONS = ALTERATIONS.flatMap((alteration) => {
  const index = EXCERPT_TRAINING_ALTERATIONS.indexOf(alteration);
  return index < 0 ? [] : [{ name: alteration.name, vector: index + 1 }];
});

export interface SegmentSet {
  /** Per segment: which long recording (by name), its span, its feature vector. */
  readonly owner: string[];
  readonly spans: { start: number; end: number }[];
  readonly vectors: Float32Array[];
  readonly seconds: Map<string, number>;
}

/** Segments of the corpora's long recordings and the synthetic tracks, as the candidate's input (`features`). */
export async function makeSegmentSet(featuresModel: string, featuresScale: number, workDirectory: string, corpora: readonly CorpusName[]): Promise<SegmentSet> {
  const corpus = (await Promise.all(corpora.map((name) => buildCorpus(name, workDirectory)))).flat();
  const long: { name: string; samples: Float32Array }[] = [];
  for (const recording of corpus) {
    const samples = await decodeAudioFile(recording.file, { sampleRate: SAMPLE_RATE, maxSeconds: 600, timeoutMs: 60_000 });
    if (samples.length >= LONG_RECORDING_SECONDS * SAMPLE_RATE) long.push({ name: recording.name, samples });
  }
  for (let n = 0; n < SYNTHETIC_TRACKS; n++) long.push(syntheticTrack(n, SYNTHETIC_SECONDS));
  const embedder = await createEmbedder({ model: featuresModel, executionProvider: 'cpu' });
  try {
    const index = await indexSegments(
      embedder,
      long.map((entry) => entry.samples),
    );
    const { dim, data } = index.matrix;
    return {
      owner: index.owner.map((i) => long[i]!.name),
      spans: index.spans,
      vectors: index.owner.map((_, row) => data.slice(row * dim, (row + 1) * dim).map((value) => value * featuresScale)),
      seconds: new Map(long.map((entry) => [entry.name, entry.samples.length / SAMPLE_RATE])),
    };
  } finally {
    await embedder.close();
  }
}

/** Where each excerpt group was cut from: its long recording's name and start, from the group's name (`<recording>@<n>`). */
export function excerptPlaces(training: TrainingSet, segments: SegmentSet): { recording: string; start: number }[] {
  return training.excerptGroups.map((group) => {
    const at = group.name.lastIndexOf('@');
    const recording = group.name.slice(0, at);
    return { recording, start: excerptStart(recording, Number(group.name.slice(at + 1)), segments.seconds.get(recording)!) };
  });
}

/**
 * Recording R@1 and place (the best segment overlaps the excerpt by at least half) per
 * alteration, for `rows` of the excerpt groups, with segment and query vectors already mapped
 * by `embed` (v3's part, the head, or both blended).
 */
export function segmentHits(
  segmentVectors: readonly Float32Array[],
  segments: SegmentSet,
  queries: (group: number, vector: number) => Float32Array,
  places: readonly { recording: string; start: number }[],
  rows: readonly number[],
): { recording: number; place: number }[] {
  const index = stackVectors(segmentVectors.map((vector) => l2Normalise(Float32Array.from(vector))));
  return SEGMENT_ALTERATIONS.map(({ vector }) => {
    let recording = 0;
    let place = 0;
    for (const row of rows) {
      const scores = cosineScores(index, l2Normalise(Float32Array.from(queries(row, vector))));
      let best = 0;
      scores.forEach((score, s) => {
        if (score > scores[best]!) best = s;
      });
      if (segments.owner[best] !== places[row]!.recording) continue;
      recording += 1;
      const span = segments.spans[best]!;
      const overlap = Math.min(span.end, places[row]!.start + EXCERPT_SECONDS) - Math.max(span.start, places[row]!.start);
      if (overlap >= EXCERPT_SECONDS / 2) place += 1;
    }
    return { recording, place };
  });
}
