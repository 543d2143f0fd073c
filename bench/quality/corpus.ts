import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';

import {
  CORPORA,
  DEBIAN_PACKAGES,
  type DebianPackage,
  MUSIC_ON_HOLD_DIRECTORY,
  type CorpusName,
  type CorpusSpec,
  type PromptSpec,
  type Source,
  type ThemeSpec,
} from './corpus-specs.ts';

export { CORPUS_NAMES, UNSEEN_CORPORA, type CorpusName, type Source } from './corpus-specs.ts';

const run = promisify(execFile);

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

/** The Debian packages that `corpora` need, with those every run needs (ffmpeg, espeak-ng, the excerpt case's music). */
export function debianPackagesFor(corpora: readonly CorpusName[]): readonly DebianPackage[] {
  return DEBIAN_PACKAGES.filter((pkg) => !pkg.corpora || pkg.corpora.some((corpus) => corpora.includes(corpus)));
}

/** Installs the Debian packages that `corpora` (and every run) need when they are missing (needs root and apt). */
export async function ensureDebianPackages(corpora: readonly CorpusName[], log: (line: string) => void): Promise<void> {
  const missing = debianPackagesFor(corpora)
    .filter((pkg) => !existsSync(pkg.provides))
    .map((pkg) => pkg.name);
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

/**
 * A corpus, in a fixed order: its sets of sounds (byte-identical duplicates kept once),
 * Asterisk prompts (every stride-th in path order, silence/ left out), espeak-ng speech
 * (4 phrases x 3 voices) and festival speech when the corpus has it, both made in
 * `workDirectory`. A corpus `disjointFrom` others also leaves out their files' duplicates.
 */
export async function buildCorpus(corpus: CorpusName, workDirectory: string): Promise<Recording[]> {
  const spec = CORPORA[corpus];
  const recordings: Recording[] = [];
  const seen = new Set<string>((spec.disjointFrom ?? []).flatMap((other) => foundFiles(CORPORA[other]).map(digestOf)));
  for (const theme of spec.themes) {
    for (const path of themeFiles(theme)) {
      const digest = digestOf(path);
      if (seen.has(digest)) continue;
      seen.add(digest);
      const stem = relative(theme.directory, path)
        .replace(/\.[^.]+$/, '')
        .replace(/^Oxygen-/, '')
        .replace(/\//g, '-')
        .toLowerCase();
      recordings.push({ name: `${theme.source}-${stem}`, source: theme.source, category: theme.category, file: path });
    }
  }
  for (const prompts of spec.asterisk) {
    for (const path of promptFiles(prompts)) {
      // Only a disjoint corpus checks its prompts' bytes; A-C keep theirs as first chosen.
      if (spec.disjointFrom) {
        const digest = digestOf(path);
        if (seen.has(digest)) continue;
        seen.add(digest);
      }
      const name = relative(prompts.directory, path)
        .replace(/\.wav$/, '')
        .replace(/\//g, '-');
      recordings.push({ name: `${prompts.source}-${name}`, source: prompts.source, category: prompts.category, file: path });
    }
  }
  for (const [phraseIndex, phrase] of spec.phrases.entries()) {
    for (const voice of spec.voices) {
      const name = `espeak-${corpus}${phraseIndex + 1}-${voice.replace(/[^a-z0-9]/g, '')}`;
      const file = join(workDirectory, `${name}.wav`);
      if (!existsSync(file)) await run('espeak-ng', ['-v', voice, '-w', file, phrase]);
      recordings.push({ name, source: 'espeak-ng', category: `speech: espeak-ng ${voice}`, file });
    }
  }
  if (spec.festival) recordings.push(...(await festivalSpeech(corpus, spec.festival, workDirectory)));
  return recordings;
}

/** The corpus's festival phrases, each said by its festival voice (text2wave) into `workDirectory`. */
async function festivalSpeech(corpus: CorpusName, festival: NonNullable<CorpusSpec['festival']>, workDirectory: string): Promise<Recording[]> {
  const recordings: Recording[] = [];
  for (const [phraseIndex, phrase] of festival.phrases.entries()) {
    const name = `festival-${corpus}${phraseIndex + 1}-${festival.voice.id}`;
    const file = join(workDirectory, `${name}.wav`);
    if (!existsSync(file)) {
      const text = join(workDirectory, `${name}.txt`);
      writeFileSync(text, phrase);
      await run('text2wave', ['-eval', festival.voice.select, '-o', file, text]);
    }
    recordings.push({ name, source: 'festival', category: festival.voice.category, file });
  }
  return recordings;
}

function themeFiles(theme: ThemeSpec): string[] {
  const names = theme.recursive ? readdirSync(theme.directory, { recursive: true, encoding: 'utf8' }) : readdirSync(theme.directory);
  const stride = theme.stride ?? 1;
  return names
    .filter((file) => theme.pattern.test(file))
    .sort()
    .filter((_, index) => index % stride === 0)
    .map((file) => join(theme.directory, file));
}

function promptFiles(prompts: PromptSpec): string[] {
  return listWavFiles(prompts.directory)
    .filter((path) => !relative(prompts.directory, path).startsWith('silence/'))
    .filter((_, index) => index % prompts.stride === prompts.offset);
}

/** The files a corpus takes from installed packages (before its own duplicates are dropped). */
function foundFiles(spec: CorpusSpec): string[] {
  return [...spec.themes.flatMap(themeFiles), ...spec.asterisk.flatMap(promptFiles)];
}

function digestOf(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
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
