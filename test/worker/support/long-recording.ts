import fs from 'node:fs';
import path from 'node:path';
import { toneClip, wavBytes } from './wav-audio.ts';

/**
 * Writes a WAV of `seconds` at 8 kHz (half the bytes of 16 kHz; the worker resamples) and
 * returns its path. Used where a job must run for a long time for real: measured here, the
 * default model embeds 240 s in ~1.1 s with the machine under load, ~4.5 ms per second.
 */
export function writeLongRecording(directory: string, name: string, seconds: number): string {
  const file = path.join(directory, name);
  fs.writeFileSync(file, wavBytes(toneClip(seconds, seconds, 8_000), 8_000));
  return file;
}
