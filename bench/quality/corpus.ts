import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const FREEDESKTOP_DIRECTORY = '/usr/share/sounds/freedesktop/stereo';
export const ASTERISK_DIRECTORY = '/usr/share/asterisk/sounds/en_US_f_Allison';
export const ASTERISK_FRENCH_DIRECTORY = '/usr/share/asterisk/sounds/fr_CA_f_June';
export const OXYGEN_DIRECTORY = '/usr/share/sounds';
export const MUSIC_ON_HOLD_DIRECTORY = '/usr/share/asterisk/moh';
export const YARU_DIRECTORY = '/usr/share/sounds/Yaru/stereo';
export const SOUND_ICONS_DIRECTORY = '/usr/share/sounds/sound-icons';
/** Every ASTERISK_STRIDE-th prompt in path order: 70 of the 558 (silence/ left out). */
const ASTERISK_STRIDE = 8;

/** Debian packages the corpus and its alterations come from, with a binary to test for each. */
const DEBIAN_PACKAGES = [
  { name: 'sound-theme-freedesktop', provides: FREEDESKTOP_DIRECTORY },
  { name: 'asterisk-core-sounds-en-wav', provides: ASTERISK_DIRECTORY },
  { name: 'oxygen-sounds', provides: `${OXYGEN_DIRECTORY}/Oxygen-Sys-Log-In.ogg` },
  { name: 'asterisk-core-sounds-fr-wav', provides: ASTERISK_FRENCH_DIRECTORY },
  { name: 'asterisk-moh-opsound-wav', provides: MUSIC_ON_HOLD_DIRECTORY },
  { name: 'yaru-theme-sound', provides: YARU_DIRECTORY },
  { name: 'sound-icons', provides: SOUND_ICONS_DIRECTORY },
  { name: 'espeak-ng', provides: '/usr/bin/espeak-ng' },
  { name: 'ffmpeg', provides: '/usr/bin/ffmpeg' },
] as const;

export type CorpusName = 'a' | 'b' | 'c';
export const CORPUS_NAMES: readonly CorpusName[] = ['a', 'b', 'c'];
export type Source = 'freedesktop' | 'oxygen' | 'yaru' | 'sound-icons' | 'asterisk' | 'asterisk-fr' | 'espeak-ng' | 'music-on-hold';

export interface Recording {
  /** Unique, file-system safe. */
  readonly name: string;
  readonly source: Source;
  /**
   * What a person filing the archive would call it: a desktop theme's sounds, one speaker's
   * prompts, one synthetic voice. Category precision asks whether a recording's nearest
   * neighbours are of its category.
   */
  readonly category: string;
  /** The file as found or made: what gets indexed and what the alterations start from. */
  readonly file: string;
}

/** Installs the Debian packages the bench needs when they are missing (needs root and apt). */
export async function ensureDebianPackages(log: (line: string) => void): Promise<void> {
  const missing = DEBIAN_PACKAGES.filter((pkg) => !existsSync(pkg.provides)).map((pkg) => pkg.name);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`missing Debian packages: ${missing.join(' ')} (run: sudo apt-get install -y ${missing.join(' ')})`);
  }
  log(`installing ${missing.join(' ')} with apt-get`);
  const install = () =>
    run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    await install();
  } catch {
    await run('apt-get', ['update']);
    await install();
  }
}

interface ThemeSpec {
  readonly source: Source;
  readonly category: string;
  readonly directory: string;
  /** File names of the theme's sounds in `directory` (others there are not part of it). */
  readonly pattern: RegExp;
}

const FREEDESKTOP_THEME: ThemeSpec = {
  source: 'freedesktop',
  category: 'sounds: freedesktop theme',
  directory: FREEDESKTOP_DIRECTORY,
  pattern: /\.(oga|ogg|wav)$/,
};
const OXYGEN_THEME: ThemeSpec = { source: 'oxygen', category: 'sounds: Oxygen theme', directory: OXYGEN_DIRECTORY, pattern: /^Oxygen-.*\.ogg$/ };
const YARU_THEME: ThemeSpec = { source: 'yaru', category: 'sounds: Yaru theme', directory: YARU_DIRECTORY, pattern: /\.(oga|ogg|wav)$/ };
/** speech-dispatcher's sound icons: instrument notes, animal and household sounds (the extensionless names are links to them). */
const SOUND_ICONS: ThemeSpec = { source: 'sound-icons', category: 'sounds: sound-icons', directory: SOUND_ICONS_DIRECTORY, pattern: /\.wav$/ };

/**
 * Three disjoint corpora of the same make-up. A is the bench's original 109 recordings, the
 * ones the default model's shape and weights were chosen on. B holds back different ones
 * (another desktop theme, other prompts of the same speaker, a second speaker, other
 * phrases and voices), to check that a change tuned on A holds elsewhere. C is a second
 * held-back set, for a candidate chosen after B had been seen once: two more sets of
 * sounds (the Yaru theme, speech-dispatcher's sound icons), prompts of both speakers that
 * neither A nor B uses, and other phrases and voices.
 */
const CORPORA = {
  a: {
    themes: [FREEDESKTOP_THEME],
    asterisk: [{ directory: ASTERISK_DIRECTORY, source: 'asterisk', category: 'speech: Allison (en, 8 kHz)', stride: ASTERISK_STRIDE, offset: 0 }],
    phrases: [
      'The weather today is cloudy with a chance of rain in the afternoon.',
      'Please hold while we find your recording in the archive.',
      'One two three four five six seven eight nine ten.',
      'The quick brown fox jumps over the lazy dog.',
    ],
    voices: ['en', 'en-us+f3', 'en+m7'],
  },
  b: {
    themes: [OXYGEN_THEME],
    asterisk: [
      { directory: ASTERISK_DIRECTORY, source: 'asterisk', category: 'speech: Allison (en, 8 kHz)', stride: 2 * ASTERISK_STRIDE, offset: ASTERISK_STRIDE / 2 },
      { directory: ASTERISK_FRENCH_DIRECTORY, source: 'asterisk-fr', category: 'speech: June (fr, 8 kHz)', stride: 2 * ASTERISK_STRIDE, offset: 0 },
    ],
    phrases: [
      'Your call is important to us, please stay on the line.',
      'Yesterday the river rose above the old stone bridge.',
      'Seventeen, forty two, one hundred and six, nine thousand.',
      'She sells sea shells by the sea shore every summer morning.',
    ],
    voices: ['en-gb-scotland', 'en-us+f4', 'en+m3'],
  },
  c: {
    themes: [YARU_THEME, SOUND_ICONS],
    asterisk: [
      {
        directory: ASTERISK_DIRECTORY,
        source: 'asterisk',
        category: 'speech: Allison (en, 8 kHz)',
        stride: 2 * ASTERISK_STRIDE,
        offset: (3 * ASTERISK_STRIDE) / 2,
      },
      {
        directory: ASTERISK_FRENCH_DIRECTORY,
        source: 'asterisk-fr',
        category: 'speech: June (fr, 8 kHz)',
        stride: 2 * ASTERISK_STRIDE,
        offset: ASTERISK_STRIDE,
      },
    ],
    phrases: [
      'The library closes at six on Saturdays and stays shut on Sunday.',
      'Turn left at the second light, then follow the signs to the harbour.',
      'Twelve, eighty one, three hundred and forty, two million.',
      'A gentle breeze carried the smell of bread across the market square.',
    ],
    voices: ['en-gb-x-rp', 'en-029+f2', 'en-us-nyc+m5'],
  },
} as const satisfies Record<CorpusName, { themes: readonly ThemeSpec[]; asterisk: readonly object[]; phrases: readonly string[]; voices: readonly string[] }>;

/**
 * A corpus, in a fixed order: a desktop theme's sounds (byte-identical duplicates kept
 * once), Asterisk prompts (every stride-th in path order, silence/ left out), and espeak-ng
 * speech (4 phrases x 3 voices, made in `workDirectory`).
 */
export async function buildCorpus(corpus: CorpusName, workDirectory: string): Promise<Recording[]> {
  const spec = CORPORA[corpus];
  const recordings: Recording[] = [];
  const seen = new Set<string>();
  for (const theme of spec.themes) {
    const themeFiles = readdirSync(theme.directory)
      .filter((file) => theme.pattern.test(file))
      .sort()
      .map((file) => join(theme.directory, file));
    for (const path of themeFiles) {
      const digest = createHash('sha256').update(readFileSync(path)).digest('hex');
      if (seen.has(digest)) continue;
      seen.add(digest);
      const stem = basename(path)
        .replace(/\.[^.]+$/, '')
        .replace(/^Oxygen-/, '')
        .toLowerCase();
      recordings.push({ name: `${theme.source}-${stem}`, source: theme.source, category: theme.category, file: path });
    }
  }
  for (const prompts of spec.asterisk) {
    listWavFiles(prompts.directory)
      .filter((path) => !relative(prompts.directory, path).startsWith('silence/'))
      .filter((_, index) => index % prompts.stride === prompts.offset)
      .forEach((path) => {
        const name = relative(prompts.directory, path)
          .replace(/\.wav$/, '')
          .replace(/\//g, '-');
        recordings.push({ name: `${prompts.source}-${name}`, source: prompts.source, category: prompts.category, file: path });
      });
  }
  for (const [phraseIndex, phrase] of spec.phrases.entries()) {
    for (const voice of spec.voices) {
      const name = `espeak-${corpus}${phraseIndex + 1}-${voice.replace(/[^a-z0-9]/g, '')}`;
      const file = join(workDirectory, `${name}.wav`);
      if (!existsSync(file)) await run('espeak-ng', ['-v', voice, '-w', file, phrase]);
      recordings.push({ name, source: 'espeak-ng', category: `speech: espeak-ng ${voice}`, file });
    }
  }
  return recordings;
}

/** The music-on-hold tracks (1-5 minutes of music each): long recordings for the excerpt case. */
export function musicOnHold(): Recording[] {
  return readdirSync(MUSIC_ON_HOLD_DIRECTORY)
    .filter((file) => file.endsWith('.wav'))
    .sort()
    .map((file) => ({ name: `moh-${file.replace(/\.wav$/, '')}`, source: 'music-on-hold', category: 'music', file: join(MUSIC_ON_HOLD_DIRECTORY, file) }));
}

function listWavFiles(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.wav'))
    .map((path) => join(directory, path))
    .sort();
}
