import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SampleClip {
  name: string;
  file: string;
  kind: 'tone' | 'noise' | 'chord' | 'sweep' | 'speech';
}

interface Recipe {
  name: string;
  kind: SampleClip['kind'];
  /** ffmpeg lavfi source, or text for espeak-ng. */
  source: string;
  extension: 'wav' | 'mp3' | 'flac' | 'ogg';
  voice?: string;
}

const SECONDS = 3;

const synthetic: Recipe[] = [
  { name: 'tone-220', kind: 'tone', source: `sine=frequency=220:duration=${SECONDS}`, extension: 'wav' },
  { name: 'tone-440', kind: 'tone', source: `sine=frequency=440:duration=${SECONDS}`, extension: 'mp3' },
  { name: 'tone-880', kind: 'tone', source: `sine=frequency=880:duration=${SECONDS}`, extension: 'flac' },
  { name: 'tone-1760', kind: 'tone', source: `sine=frequency=1760:duration=${SECONDS}`, extension: 'ogg' },
  { name: 'tone-3000', kind: 'tone', source: `sine=frequency=3000:duration=${SECONDS}`, extension: 'wav' },
  { name: 'tone-5000', kind: 'tone', source: `sine=frequency=5000:duration=${SECONDS}`, extension: 'wav' },
  { name: 'noise-white', kind: 'noise', source: `anoisesrc=color=white:amplitude=0.3:seed=1:duration=${SECONDS}`, extension: 'wav' },
  { name: 'noise-pink', kind: 'noise', source: `anoisesrc=color=pink:amplitude=0.3:seed=2:duration=${SECONDS}`, extension: 'flac' },
  { name: 'noise-brown', kind: 'noise', source: `anoisesrc=color=brown:amplitude=0.3:seed=3:duration=${SECONDS}`, extension: 'mp3' },
  { name: 'chord-c-major', kind: 'chord', source: `aevalsrc=0.3*sin(2*PI*261.6*t)+0.3*sin(2*PI*329.6*t)+0.3*sin(2*PI*392*t):d=${SECONDS}`, extension: 'wav' },
  { name: 'chord-a-minor', kind: 'chord', source: `aevalsrc=0.3*sin(2*PI*220*t)+0.3*sin(2*PI*261.6*t)+0.3*sin(2*PI*329.6*t):d=${SECONDS}`, extension: 'ogg' },
  { name: 'chord-fifths', kind: 'chord', source: `aevalsrc=0.4*sin(2*PI*110*t)+0.4*sin(2*PI*165*t):d=${SECONDS}`, extension: 'wav' },
  { name: 'sweep-up', kind: 'sweep', source: `aevalsrc=0.5*sin(2*PI*(100+600*t)*t):d=${SECONDS}`, extension: 'wav' },
  { name: 'sweep-down', kind: 'sweep', source: `aevalsrc=0.5*sin(2*PI*(4000-600*t)*t):d=${SECONDS}`, extension: 'mp3' },
  { name: 'pulse-440', kind: 'tone', source: `aevalsrc=0.5*sin(2*PI*440*t)*(0.5+0.5*sin(2*PI*3*t)):d=${SECONDS}`, extension: 'wav' },
  { name: 'noise-bursts', kind: 'noise', source: `aevalsrc=0.4*(random(0)-0.5)*gt(sin(2*PI*2*t)\\,0):d=${SECONDS}`, extension: 'wav' },
];

const speech: Recipe[] = [
  { name: 'speech-weather', kind: 'speech', source: 'The weather today is cloudy with a chance of rain in the afternoon.', extension: 'wav', voice: 'en' },
  { name: 'speech-numbers', kind: 'speech', source: 'One two three four five six seven eight nine ten.', extension: 'mp3', voice: 'en-us' },
  {
    name: 'speech-archive',
    kind: 'speech',
    source: 'Welcome to the sound archive. Please hold while we find your recording.',
    extension: 'flac',
    voice: 'en+f3',
  },
  { name: 'speech-german', kind: 'speech', source: 'Guten Morgen, das ist eine Aufnahme aus dem Archiv.', extension: 'ogg', voice: 'de' },
];

async function hasEspeak(): Promise<boolean> {
  try {
    await run('espeak-ng', ['--version']);
    return true;
  } catch {
    return false;
  }
}

/**
 * Writes distinct short clips (tones, noise, chords, sweeps and, when espeak-ng is
 * installed, speech) in several formats, so ingestion exercises real decoding.
 */
export async function writeSampleClips(directory: string, count = 20): Promise<SampleClip[]> {
  await fs.mkdir(directory, { recursive: true });
  const recipes = (await hasEspeak()) ? [...synthetic.slice(0, count - speech.length), ...speech] : synthetic;
  const clips: SampleClip[] = [];
  for (const recipe of recipes.slice(0, count)) {
    const file = path.join(directory, `${recipe.name}.${recipe.extension}`);
    if (recipe.kind === 'speech') {
      const wav = path.join(directory, `${recipe.name}.raw.wav`);
      await run('espeak-ng', ['-v', recipe.voice ?? 'en', '-w', wav, recipe.source]);
      await run('ffmpeg', ['-nostdin', '-y', '-loglevel', 'error', '-i', wav, file]);
      await fs.rm(wav);
    } else {
      await run('ffmpeg', ['-nostdin', '-y', '-loglevel', 'error', '-f', 'lavfi', '-i', recipe.source, '-ac', '1', '-ar', '22050', file]);
    }
    clips.push({ name: recipe.name, file, kind: recipe.kind });
  }
  return clips;
}

/** A louder-or-quieter copy of `source` (gain in dB), as a user's query might be. */
export async function writeGainCopy(source: string, target: string, gainDb: number): Promise<void> {
  await run('ffmpeg', ['-nostdin', '-y', '-loglevel', 'error', '-i', source, '-af', `volume=${gainDb}dB`, target]);
}

/**
 * A long recording joined from `pieces`, each looped to `pieceSeconds` (a radio hour in
 * miniature), written as 16 kHz mono WAV. Returns where each piece starts, in seconds.
 */
export async function writeJoinedRecording(pieces: readonly SampleClip[], target: string, pieceSeconds: number): Promise<{ name: string; start: number }[]> {
  const inputs = pieces.flatMap((clip) => ['-stream_loop', '-1', '-t', String(pieceSeconds), '-i', clip.file]);
  const filters = pieces.map((_, index) => `[${index}:a]aresample=16000,aformat=channel_layouts=mono[p${index}]`).join(';');
  const concat = `${pieces.map((_, index) => `[p${index}]`).join('')}concat=n=${pieces.length}:v=0:a=1[out]`;
  await run('ffmpeg', ['-nostdin', '-y', '-loglevel', 'error', ...inputs, '-filter_complex', `${filters};${concat}`, '-map', '[out]', target]);
  return pieces.map((clip, index) => ({ name: clip.name, start: index * pieceSeconds }));
}

/** `seconds` of `source` from `start`, as an excerpt a user might search with. */
export async function writeExcerpt(source: string, target: string, start: number, seconds: number): Promise<void> {
  await run('ffmpeg', ['-nostdin', '-y', '-loglevel', 'error', '-ss', String(start), '-t', String(seconds), '-i', source, target]);
}
