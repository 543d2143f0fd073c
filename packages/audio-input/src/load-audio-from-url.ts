import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { DecodeOptions } from './decode-audio.ts';
import { decodeAudio } from './decode-audio-in-process.ts';
import type { FetchLimits } from './fetch-limits.ts';
import { fetchToFile, type FetchSources } from './fetch-to-file.ts';

export interface AudioLoadOptions {
  fetch: FetchLimits;
  decode: DecodeOptions;
  sources?: FetchSources;
  /** Where downloads are staged; the OS temp dir by default. */
  scratchDirectory?: string;
}

/** How long each step of one load took, for the caller's metrics. */
export interface AudioLoadTimings {
  fetchSeconds: number;
  decodeSeconds: number;
}

/** Fetch then decode, leaving nothing behind in the scratch directory. */
export async function loadAudioFromUrl(url: string, options: AudioLoadOptions, timings?: AudioLoadTimings): Promise<Float32Array> {
  const scratch = path.join(options.scratchDirectory ?? os.tmpdir(), `audio-index-${randomUUID()}`);
  try {
    const started = performance.now();
    const fetched = await fetchToFile(url, scratch, options.fetch, options.sources);
    const fetchedAt = performance.now();
    const samples = await decodeAudio(fetched.path, options.decode);
    if (timings) {
      timings.fetchSeconds = (fetchedAt - started) / 1000;
      timings.decodeSeconds = (performance.now() - fetchedAt) / 1000;
    }
    return samples;
  } finally {
    await fs.rm(scratch, { force: true });
  }
}
