import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { addWhiteNoise } from '../quality/alterations.ts';
import type { LongRecordingSet } from './long-recording-set.ts';
import { seededRandom } from './seeded-random.ts';
import { decodeToSamples } from './source-audio.ts';
import { writeWav } from './wav-file.ts';

const run = promisify(execFile);

export type Variant = 'clean' | 'noise 20 dB' | 'MP3 64 kbps' | 'gain -6 dB';
export const VARIANTS: readonly Variant[] = ['clean', 'noise 20 dB', 'MP3 64 kbps', 'gain -6 dB'];

export interface ExcerptQuery {
  readonly name: string;
  /** Recording id the excerpt was cut from. */
  readonly recording: string;
  /** Where it starts in that recording, in seconds. */
  readonly offset: number;
  readonly seconds: number;
  readonly variant: Variant;
  /** The query file (WAV, or MP3 for that variant): what an upload sends and what the sweep decodes. */
  readonly file: string;
  readonly contentType: string;
}

export interface QueryPlan {
  /** Excerpts per ~2-minute recording and per long recording, for each excerpt length. */
  readonly perShort: Record<number, number>;
  readonly perLong: Record<number, number>;
}

export const DEFAULT_QUERIES: QueryPlan = { perShort: { 5: 4, 30: 2 }, perLong: { 5: 10, 30: 7 } };

/**
 * Excerpts at seeded random offsets, each in every variant: clean (the recording's own
 * samples), white noise at 20 dB SNR of the excerpt's power (bench/quality's alteration),
 * ffmpeg libmp3lame 64 kbps, and -6 dB. Made once per set and kept beside it.
 */
export async function ensureExcerptQueries(set: LongRecordingSet, plan: QueryPlan, log: (line: string) => void): Promise<ExcerptQuery[]> {
  const directory = join(set.directory, `queries-${Object.entries(plan.perShort).join('_')}-${Object.entries(plan.perLong).join('_')}`.replace(/,/g, 'x'));
  const indexFile = join(directory, 'queries.json');
  if (existsSync(indexFile)) return JSON.parse(readFileSync(indexFile, 'utf8')) as ExcerptQuery[];
  const building = `${directory}.building`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(building, { recursive: true });
  const queries: ExcerptQuery[] = [];
  for (const recording of set.recordings) {
    const samples = await decodeToSamples(recording.file);
    const counts = recording.id.startsWith('long-') ? plan.perLong : plan.perShort;
    for (const [lengthText, count] of Object.entries(counts)) {
      const seconds = Number(lengthText);
      const random = seededRandom(`${set.key}/${recording.id}/excerpts-${seconds}`);
      for (let k = 0; k < count; k += 1) {
        const offset = Math.round(random.uniform(0, recording.seconds - seconds) * 1000) / 1000;
        const from = Math.round(offset * set.sampleRate);
        const clean = samples.slice(from, from + Math.round(seconds * set.sampleRate));
        const stem = `${recording.id}-${seconds}s-${k + 1}`;
        const file = (suffix: string) => join(building, `${stem}-${suffix}`);
        writeWav(file('clean.wav'), clean, set.sampleRate);
        writeWav(file('noise.wav'), addWhiteNoise(clean, 20, `${set.key}/${stem}`), set.sampleRate);
        const gain = clean.map((value) => value * 10 ** (-6 / 20));
        writeWav(file('gain.wav'), gain, set.sampleRate);
        await run('ffmpeg', [
          '-nostdin',
          '-y',
          '-hide_banner',
          '-loglevel',
          'error',
          '-i',
          file('clean.wav'),
          '-ac',
          '1',
          '-c:a',
          'libmp3lame',
          '-b:a',
          '64k',
          file('mp3.mp3'),
        ]);
        const files: Record<Variant, [string, string]> = {
          clean: ['clean.wav', 'audio/wav'],
          'noise 20 dB': ['noise.wav', 'audio/wav'],
          'MP3 64 kbps': ['mp3.mp3', 'audio/mpeg'],
          'gain -6 dB': ['gain.wav', 'audio/wav'],
        };
        for (const variant of VARIANTS) {
          const [suffix, contentType] = files[variant];
          queries.push({
            name: `${stem}/${variant}`,
            recording: recording.id,
            offset,
            seconds,
            variant,
            file: join(directory, `${stem}-${suffix}`),
            contentType,
          });
        }
      }
    }
  }
  writeFileSync(join(building, 'queries.json'), `${JSON.stringify(queries)}\n`);
  renameSync(building, directory);
  log(`queries: ${queries.length} files made`);
  return queries;
}
