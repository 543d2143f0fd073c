import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const SAMPLE_RATE = 16_000;

const ASTERISK_ENGLISH = '/usr/share/asterisk/sounds/en_US_f_Allison';
const ASTERISK_FRENCH = '/usr/share/asterisk/sounds/fr_CA_f_June';
const MUSIC_ON_HOLD = '/usr/share/asterisk/moh';
const FREEDESKTOP = '/usr/share/sounds/freedesktop/stereo';
const OXYGEN = '/usr/share/sounds';
const LICENSE_TEXTS = '/usr/share/common-licenses';

/** The Debian packages the set is cut from (the ones bench/quality's corpus uses), with a path each provides. */
const DEBIAN_PACKAGES = [
  { name: 'sound-theme-freedesktop', provides: FREEDESKTOP },
  { name: 'oxygen-sounds', provides: `${OXYGEN}/Oxygen-Sys-Log-In.ogg` },
  { name: 'asterisk-core-sounds-en-wav', provides: ASTERISK_ENGLISH },
  { name: 'asterisk-core-sounds-fr-wav', provides: ASTERISK_FRENCH },
  { name: 'asterisk-moh-opsound-wav', provides: MUSIC_ON_HOLD },
  { name: 'espeak-ng', provides: '/usr/bin/espeak-ng' },
  { name: 'ffmpeg', provides: '/usr/bin/ffmpeg' },
  { name: 'redis-server', provides: '/usr/bin/redis-server' },
] as const;

/** Installs the missing packages with apt-get (needs root), as bench/quality does. */
export async function ensureDebianPackages(log: (line: string) => void): Promise<void> {
  const missing = DEBIAN_PACKAGES.filter((pkg) => !existsSync(pkg.provides)).map((pkg) => pkg.name);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) throw new Error(`missing Debian packages: ${missing.join(' ')} (sudo apt-get install -y ${missing.join(' ')})`);
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

export interface SourceFiles {
  readonly asteriskEnglish: string[];
  readonly asteriskFrench: string[];
  /** Desktop theme sounds (freedesktop, oxygen), byte-identical copies kept once. */
  readonly sounds: string[];
  readonly musicOnHold: string[];
}

export function listSourceFiles(): SourceFiles {
  const prompts = (directory: string) => listFiles(directory, '.wav').filter((path) => !relative(directory, path).startsWith('silence/'));
  const seen = new Set<string>();
  const sounds = [...listFiles(FREEDESKTOP, '.oga'), ...listFiles(OXYGEN, '.ogg', false)].filter((path) => {
    const digest = createHash('sha256').update(readFileSync(path)).digest('hex');
    if (seen.has(digest)) return false;
    seen.add(digest);
    return true;
  });
  return { asteriskEnglish: prompts(ASTERISK_ENGLISH), asteriskFrench: prompts(ASTERISK_FRENCH), sounds, musicOnHold: listFiles(MUSIC_ON_HOLD, '.wav') };
}

function listFiles(directory: string, suffix: string, recursive = true): string[] {
  return readdirSync(directory, { recursive, encoding: 'utf8' })
    .filter((path) => path.endsWith(suffix))
    .map((path) => join(directory, path))
    .sort();
}

/**
 * Sentences of the license texts Debian ships (each distinct text once): the script that
 * espeak-ng reads, so no two speech pieces of the set say the same thing.
 */
export function licenseSentences(): string[] {
  const seenFiles = new Set<string>();
  const sentences = new Set<string>();
  for (const name of readdirSync(LICENSE_TEXTS).sort()) {
    const real = realpathSync(join(LICENSE_TEXTS, name));
    if (seenFiles.has(real)) continue;
    seenFiles.add(real);
    const text = readFileSync(real, 'utf8')
      .replace(/[^A-Za-z0-9.,;:!?'() -]+/g, ' ')
      .replace(/\s+/g, ' ');
    for (const sentence of text.split(/(?<=[.;:!?])\s+/)) {
      const words = sentence
        .trim()
        .split(' ')
        .filter((word) => /[A-Za-z]/.test(word));
      if (words.length >= 5 && words.length <= 28) sentences.add(words.join(' '));
    }
  }
  return [...sentences];
}

/** Mono float32 at SAMPLE_RATE, the worker's ffmpeg command line (packages/audio-input/src/decode-audio.ts). */
export function decodeToSamples(file: string, range?: { from: number; to: number }): Promise<Float32Array> {
  const trim = range ? ['-ss', String(range.from), '-to', String(range.to)] : [];
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-i', file, ...trim, '-vn', '-ac', '1', '-ar', String(SAMPLE_RATE), '-f', 'f32le', 'pipe:1'];
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const chunks: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`ffmpeg ${file}: ${stderr.trim()}`));
      const bytes = Buffer.concat(chunks);
      const samples = new Float32Array(Math.floor(bytes.length / 4));
      bytes.copy(Buffer.from(samples.buffer), 0, 0, samples.byteLength);
      resolve(samples);
    });
  });
}

export interface Voice {
  /** espeak-ng `-v`, e.g. `en-us+m3`. */
  readonly name: string;
  readonly pitch: number;
  readonly wordsPerMinute: number;
}

/** espeak-ng speech of `text` in `voice`, decoded to SAMPLE_RATE (espeak writes 22.05 kHz). */
export async function speak(text: string, voice: Voice, scratchFile: string): Promise<Float32Array> {
  await run('espeak-ng', ['-v', voice.name, '-p', String(voice.pitch), '-s', String(voice.wordsPerMinute), '-w', scratchFile, text]);
  return decodeToSamples(scratchFile);
}

export async function durationSeconds(file: string): Promise<number> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', file]);
  return Number(stdout.trim());
}
