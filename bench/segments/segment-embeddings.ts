import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeAudioFile } from '@audio-index/audio-input';
import type { Embedder, SegmentSettings, SegmentSpan } from '@audio-index/embedding';

export interface EmbeddedAudio {
  readonly name: string;
  readonly seconds: number;
  readonly segments: SegmentSpan[];
  readonly vectors: Float32Array;
}

export interface EmbeddingRun {
  readonly items: EmbeddedAudio[];
  /** Time spent in embedSegments, summed over the files in flight (a cost, not a wall time). */
  readonly embedSeconds: number;
  readonly audioSeconds: number;
}

/** The worker's decoder (ffmpeg under the input policy), at the model's rate. */
export function decodeAsWorker(file: string, sampleRate: number): Promise<Float32Array> {
  return decodeAudioFile(file, { sampleRate, maxSeconds: 3600, timeoutMs: 300_000 });
}

/**
 * `embedSegments` of every file under `settings`, kept in `cacheFile` (one binary file of
 * rows plus a JSON index) so a rerun of the sweep skips what it already embedded.
 */
export async function embedFiles(
  embedder: Embedder,
  files: readonly { name: string; file: string }[],
  settings: SegmentSettings,
  cacheFile: string,
  log: (line: string) => void,
  samplesOf: (file: string) => Promise<Float32Array> = (file) => decodeAsWorker(file, embedder.sampleRate),
  /** Files decoded and embedded at once; with more than 1, `embedSeconds` counts overlapping waits. */
  inFlight = 1,
): Promise<EmbeddingRun> {
  if (existsSync(`${cacheFile}.json`)) {
    const index = JSON.parse(readFileSync(`${cacheFile}.json`, 'utf8')) as {
      items: Omit<EmbeddedAudio, 'vectors'>[];
      embedSeconds: number;
      audioSeconds: number;
    };
    const bytes = readFileSync(`${cacheFile}.f32`);
    const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
    let row = 0;
    const items = index.items.map((item) => {
      const vectors = all.slice(row * embedder.dim, (row + item.segments.length) * embedder.dim);
      row += item.segments.length;
      return { ...item, vectors };
    });
    return { items, embedSeconds: index.embedSeconds, audioSeconds: index.audioSeconds };
  }
  const items = new Array<EmbeddedAudio>(files.length);
  let embedMs = 0;
  let audioSeconds = 0;
  let done = 0;
  // A few files in flight: ffmpeg start-up, not inference, is most of a short query's time.
  let next = 0;
  const lanes = Array.from({ length: Math.min(inFlight, files.length) }, async () => {
    for (let position = next++; position < files.length; position = next++) {
      const { name, file } = files[position]!;
      const samples = await samplesOf(file);
      const started = performance.now();
      const { vectors, segments } = await embedder.embedSegments(samples, settings);
      embedMs += performance.now() - started;
      audioSeconds += samples.length / embedder.sampleRate;
      items[position] = { name, seconds: samples.length / embedder.sampleRate, segments, vectors };
      if ((done += 1) % 200 === 0) log(`  embedded ${done}/${files.length}`);
    }
  });
  await Promise.all(lanes);
  mkdirSync(join(cacheFile, '..'), { recursive: true });
  const rows = Buffer.concat(items.map((item) => Buffer.from(item.vectors.buffer, item.vectors.byteOffset, item.vectors.byteLength)));
  writeFileSync(`${cacheFile}.f32`, rows);
  const index = { items: items.map(({ vectors: _vectors, ...rest }) => rest), embedSeconds: embedMs / 1000, audioSeconds };
  writeFileSync(`${cacheFile}.json.tmp`, JSON.stringify(index));
  renameSync(`${cacheFile}.json.tmp`, `${cacheFile}.json`);
  return { items, embedSeconds: embedMs / 1000, audioSeconds };
}
