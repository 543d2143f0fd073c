import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const FREEDESKTOP_DIRECTORY = '/usr/share/sounds/freedesktop/stereo';
export const ASTERISK_DIRECTORY = '/usr/share/asterisk/sounds/en_US_f_Allison';
/** Every ASTERISK_STRIDE-th prompt in path order: 70 of the 558 (silence/ left out). */
const ASTERISK_STRIDE = 8;

/** Debian packages the corpus and its alterations come from, with a binary to test for each. */
const DEBIAN_PACKAGES = [
  { name: 'sound-theme-freedesktop', provides: FREEDESKTOP_DIRECTORY },
  { name: 'asterisk-core-sounds-en-wav', provides: ASTERISK_DIRECTORY },
  { name: 'espeak-ng', provides: '/usr/bin/espeak-ng' },
  { name: 'ffmpeg', provides: '/usr/bin/ffmpeg' },
] as const;

export interface Recording {
  /** Unique, file-system safe. */
  readonly name: string;
  readonly source: 'freedesktop' | 'asterisk' | 'espeak-ng';
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
  const install = () => run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  try {
    await install();
  } catch {
    await run('apt-get', ['update']);
    await install();
  }
}

const ESPEAK_PHRASES = [
  'The weather today is cloudy with a chance of rain in the afternoon.',
  'Please hold while we find your recording in the archive.',
  'One two three four five six seven eight nine ten.',
  'The quick brown fox jumps over the lazy dog.',
] as const;
const ESPEAK_VOICES = ['en', 'en-us+f3', 'en+m7'] as const;

/**
 * The corpus: the freedesktop theme's sounds (byte-identical duplicates kept once), every
 * 8th English Asterisk prompt, and espeak-ng speech (4 phrases x 3 voices), in a fixed order.
 */
export async function buildCorpus(workDirectory: string): Promise<Recording[]> {
  const recordings: Recording[] = [];
  const seen = new Set<string>();
  for (const file of readdirSync(FREEDESKTOP_DIRECTORY).sort()) {
    const path = join(FREEDESKTOP_DIRECTORY, file);
    const digest = createHash('sha256').update(readFileSync(path)).digest('hex');
    if (seen.has(digest)) continue;
    seen.add(digest);
    recordings.push({ name: `freedesktop-${file.replace(/\.[^.]+$/, '')}`, source: 'freedesktop', file: path });
  }
  listWavFiles(ASTERISK_DIRECTORY)
    .filter((path) => !relative(ASTERISK_DIRECTORY, path).startsWith('silence/'))
    .filter((_, index) => index % ASTERISK_STRIDE === 0)
    .forEach((path) => {
      const name = relative(ASTERISK_DIRECTORY, path).replace(/\.wav$/, '').replace(/\//g, '-');
      recordings.push({ name: `asterisk-${name}`, source: 'asterisk', file: path });
    });
  for (const [phraseIndex, phrase] of ESPEAK_PHRASES.entries()) {
    for (const voice of ESPEAK_VOICES) {
      const name = `espeak-${phraseIndex + 1}-${voice.replace(/[^a-z0-9]/g, '')}`;
      const file = join(workDirectory, `${name}.wav`);
      if (!existsSync(file)) await run('espeak-ng', ['-v', voice, '-w', file, phrase]);
      recordings.push({ name, source: 'espeak-ng', file });
    }
  }
  return recordings;
}

function listWavFiles(directory: string): string[] {
  return readdirSync(directory, { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.wav'))
    .map((path) => join(directory, path))
    .sort();
}
