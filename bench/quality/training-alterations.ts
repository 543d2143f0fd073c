/**
 * Alterations a learned head is fitted on (bench/quality/learn-robust-head.ts): the bench's
 * six (alterations.ts) and more of the same kinds, in both directions and several amounts,
 * so that the head learns to shrink the whole direction a speed, tempo or noise change moves
 * a vector along, not only the one point +5% or 20 dB lands on. The bench judges with its
 * six only.
 */
import { ALTERATIONS, addWhiteNoise, ffmpegFilter, type Alteration, type AlteredCopy, type AlterationContext } from './alterations.ts';

function speed(factor: number): Alteration {
  return {
    name: `speed x${factor}`,
    description: `ffmpeg asetrate x${factor} then resample`,
    target: false,
    make: ffmpegFilter(({ sampleRate }) => `aresample=${sampleRate},asetrate=${Math.round(sampleRate * factor)},aresample=${sampleRate}`),
  };
}

function tempo(factor: number): Alteration {
  return { name: `tempo x${factor}`, description: `ffmpeg atempo=${factor}`, target: false, make: ffmpegFilter(() => `atempo=${factor}`) };
}

function noise(snrDb: number): Alteration {
  return {
    name: `white noise ${snrDb} dB SNR (training)`,
    description: `Gaussian white noise at ${snrDb} dB SNR, seeded apart from the bench's`,
    target: false,
    make: async (context) => ({ samples: addWhiteNoise(context.samples, snrDb, `training/${context.seedText}`) }),
  };
}

function cut(fraction: number): Alteration {
  return {
    name: `first ${fraction * 100}% cut`,
    description: `ffmpeg atrim dropping the first ${fraction * 100}%`,
    target: false,
    make: ffmpegFilter(({ samples, sampleRate }) => `aresample=${sampleRate},atrim=start_sample=${Math.round(samples.length * fraction)}`),
  };
}

/** Speed +5% on top of 20 dB noise: two alterations at once, as archives have them. */
const noisySpeedUp: Alteration = {
  name: 'speed +5% with 20 dB noise',
  description: 'speed x1.05, then white noise 20 dB SNR',
  target: false,
  make: async (context: AlterationContext): Promise<AlteredCopy> => {
    const faster = await speed(1.05).make(context);
    if (!('samples' in faster)) throw new Error('speed gives samples');
    return { samples: addWhiteNoise(faster.samples, 20, `training-speed/${context.seedText}`) };
  },
};

/** For the recordings of the corpus the head is fitted on. */
export const TRAINING_ALTERATIONS: readonly Alteration[] = [
  ...ALTERATIONS,
  speed(0.92),
  speed(0.95),
  speed(0.97),
  speed(1.03),
  speed(1.08),
  tempo(0.92),
  tempo(0.95),
  tempo(1.08),
  noise(10),
  noise(15),
  noise(30),
  cut(0.2),
  noisySpeedUp,
];

/** For 5-second excerpts of long recordings and music (what a segment sees): no cut, an excerpt is already one. */
export const EXCERPT_TRAINING_ALTERATIONS: readonly Alteration[] = TRAINING_ALTERATIONS.filter((alteration) => !alteration.name.includes('cut'));
