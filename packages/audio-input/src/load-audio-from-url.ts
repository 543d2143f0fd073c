import { randomUUID } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { decodeAudioFile, type DecodeOptions } from './decode-audio.ts';
import type { FetchLimits } from './fetch-limits.ts';
import { fetchToFile, type FetchSources } from './fetch-to-file.ts';

export interface AudioLoadOptions {
  fetch: FetchLimits;
  decode: DecodeOptions;
  sources?: FetchSources;
  /** Where downloads are staged; the OS temp dir by default. */
  scratchDirectory?: string;
}

/** Fetch then decode, leaving nothing behind in the scratch directory. */
export async function loadAudioFromUrl(url: string, options: AudioLoadOptions): Promise<Float32Array> {
  const scratch = path.join(options.scratchDirectory ?? os.tmpdir(), `audio-index-${randomUUID()}`);
  try {
    const fetched = await fetchToFile(url, scratch, options.fetch, options.sources);
    return await decodeAudioFile(fetched.path, options.decode);
  } finally {
    await fs.rm(scratch, { force: true });
  }
}
