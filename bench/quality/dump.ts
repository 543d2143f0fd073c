import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What `run.ts --dump <dir>` wrote for one corpus: the exact samples embedded, by recording. */
export interface CorpusDump {
  readonly recordings: string[];
  readonly categories: string[];
  readonly alterations: { directory: string; name: string }[];
  /** Decoded originals (16 kHz mono float32), in recording order. */
  readonly originals: Float32Array[];
  /** Per alteration, the altered copies in recording order. */
  readonly altered: Float32Array[][];
}

export function readCorpusDump(directory: string): CorpusDump {
  const names = JSON.parse(readFileSync(join(directory, 'names.json'), 'utf8')) as Pick<CorpusDump, 'recordings' | 'categories' | 'alterations'>;
  const load = (path: string) => {
    const bytes = readFileSync(join(directory, `${path}.f32`));
    return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  };
  return {
    ...names,
    originals: names.recordings.map((name) => load(`original/${name}`)),
    altered: names.alterations.map(({ directory: sub }) => names.recordings.map((name) => load(`${sub}/${name}`))),
  };
}
