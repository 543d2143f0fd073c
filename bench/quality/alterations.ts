import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface AlterationContext {
  /** The original file (any format ffmpeg reads). */
  readonly source: string;
  /** The original decoded to mono float32 at the model rate: what was indexed. */
  readonly samples: Float32Array;
  readonly sampleRate: number;
  /** A path to write to, without extension. */
  readonly outputStem: string;
  readonly seedText: string;
}

/** Either a file for the worker's decoder or, for alterations made on samples, the samples. */
export type AlteredCopy = { readonly file: string } | { readonly samples: Float32Array };

export interface Alteration {
  readonly name: string;
  /** For the results table: what exactly was done. */
  readonly description: string;
  /** Whether issue 3 sets the >= 0.95 Recall@1 target on it. */
  readonly target: boolean;
  make(context: AlterationContext): Promise<AlteredCopy>;
}

const ffmpeg = (args: readonly string[]) => run('ffmpeg', ['-nostdin', '-y', '-hide_banner', '-loglevel', 'error', ...args]);

/**
 * An ffmpeg filter chain from the original file straight to mono float32 at the model
 * rate: the samples the worker's decoder would give for the same chain written to a
 * float WAV, in one process instead of two.
 */
export function ffmpegFilter(filter: (context: AlterationContext) => string) {
  return async (context: AlterationContext): Promise<AlteredCopy> => {
    const args = ['-i', context.source, '-vn', '-ac', '1', '-af', filter(context), '-ar', String(context.sampleRate), '-f', 'f32le', 'pipe:1'];
    const { stdout } = await run('ffmpeg', ['-nostdin', '-hide_banner', '-loglevel', 'error', ...args], { encoding: 'buffer', maxBuffer: 2 ** 30 });
    const samples = new Float32Array(stdout.length / 4);
    stdout.copy(Buffer.from(samples.buffer), 0, 0, samples.byteLength);
    return { samples };
  };
}

export const ALTERATIONS: readonly Alteration[] = [
  {
    name: 'gain -6 dB',
    description: 'ffmpeg `volume=-6dB` (float samples, no clipping)',
    target: true,
    make: ffmpegFilter(() => 'volume=-6dB'),
  },
  {
    name: 'white noise 20 dB SNR',
    description: "Gaussian white noise (seeded) added to the decoded 16 kHz samples at 1/100 of the clip's mean power",
    target: true,
    make: async (context) => ({ samples: addWhiteNoise(context.samples, 20, context.seedText) }),
  },
  {
    name: 'MP3 64 kbps',
    description: "ffmpeg libmp3lame `-b:a 64k`, mono, at the original's sample rate",
    target: true,
    make: async (context) => {
      const file = `${context.outputStem}.mp3`;
      await ffmpeg(['-i', context.source, '-ac', '1', '-c:a', 'libmp3lame', '-b:a', '64k', file]);
      return { file };
    },
  },
  {
    name: 'first 10% cut',
    description: 'ffmpeg `atrim` dropping the first 10% of the samples',
    target: true,
    make: ffmpegFilter(({ samples, sampleRate }) => `aresample=${sampleRate},atrim=start_sample=${Math.round(samples.length * 0.1)}`),
  },
  {
    name: 'speed +5%',
    description: 'ffmpeg `asetrate` x1.05 then resample: 5% faster and 5% higher in pitch (tape speed, sox `speed 1.05`)',
    target: false,
    make: ffmpegFilter(({ sampleRate }) => `aresample=${sampleRate},asetrate=${sampleRate * 1.05},aresample=${sampleRate}`),
  },
  {
    name: 'tempo +5%',
    description: 'ffmpeg `atempo=1.05`: 5% faster, pitch kept (sox `tempo 1.05`)',
    target: false,
    make: ffmpegFilter(() => 'atempo=1.05'),
  },
];

/** `samples` plus Gaussian noise whose power is the clip's mean power divided by 10^(snr/10). */
export function addWhiteNoise(samples: Float32Array, snrDb: number, seedText: string): Float32Array {
  let power = 0;
  for (const value of samples) power += value * value;
  power /= samples.length;
  const sigma = Math.sqrt(power / 10 ** (snrDb / 10));
  const random = seededRandom(seedText);
  const noisy = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i += 2) {
    // Box-Muller: two independent standard normals per pair of uniforms.
    const radius = Math.sqrt(-2 * Math.log(1 - random())) * sigma;
    const angle = 2 * Math.PI * random();
    noisy[i] = samples[i]! + radius * Math.cos(angle);
    if (i + 1 < samples.length) noisy[i + 1] = samples[i + 1]! + radius * Math.sin(angle);
  }
  return noisy;
}

/** Uniform [0, 1) numbers, the same sequence for the same text on every machine (mulberry32 seeded by SHA-256). */
export function seededRandom(seedText: string): () => number {
  return mulberry32(createHash('sha256').update(seedText).digest().readUInt32LE(0));
}

function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}
