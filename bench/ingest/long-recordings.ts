import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const PROMPTS = '/usr/share/asterisk/sounds/en_US_f_Allison';

/** Minutes and container of each long recording: WAV at the model's rate (read in process), and ffmpeg's formats. */
const RECORDINGS: { minutes: number; format: 'wav' | 'mp3' | 'flac' | 'ogg' }[] = [
  { minutes: 2, format: 'mp3' },
  { minutes: 4, format: 'wav' },
  { minutes: 6, format: 'flac' },
  { minutes: 10, format: 'ogg' },
];

const FORMATS = ['mp3', 'wav', 'flac', 'ogg'] as const;

/**
 * Long recordings built from the project's sample audio (Asterisk's English prompts, read one
 * after another as a broadcast would, with short pauses) into `directory`, `count` of them:
 * the mixed set (at most 4: 2, 4, 6 and 10 minutes), or with `twoMinutes` `count` recordings of
 * 2 minutes each in the four formats by turns, the shape of issue 13's figure (40 x 2 minutes).
 * Returns the file names.
 */
export function buildLongRecordings(directory: string, count: number, options: { twoMinutes?: boolean } = {}): string[] {
  const recordings = options.twoMinutes
    ? Array.from({ length: count }, (_, index) => ({ minutes: 2, format: FORMATS[index % FORMATS.length]! }))
    : RECORDINGS.slice(0, count);
  const prompts = execFileSync('find', [PROMPTS, '-maxdepth', '1', '-name', '*.wav'], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
  if (prompts.length === 0) throw new Error(`no prompts under ${PROMPTS}: apt-get install asterisk-core-sounds-en-wav`);
  fs.mkdirSync(directory, { recursive: true });
  // One pass over the prompts at 16 kHz, about 20 minutes; each recording is a slice of it from its own offset.
  const list = path.join(directory, 'prompts.txt');
  fs.writeFileSync(list, prompts.map((file) => `file '${file}'\n`).join(''));
  const all = path.join(directory, 'all-prompts.wav');
  execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-f', 'concat', '-safe', '0', '-i', list, '-ar', '16000', '-ac', '1', all]);
  const total = Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', all], { encoding: 'utf8' }));
  return recordings.map(({ minutes, format }, index) => {
    const name = `long-${index}-${minutes}min.${format}`;
    const seconds = minutes * 60;
    // Looped when longer than one pass; each starts elsewhere so no two are the same audio.
    const start = (index * 97) % Math.max(1, total - 1);
    execFileSync('ffmpeg', [
      '-nostdin',
      '-loglevel',
      'error',
      '-y',
      '-stream_loop',
      '-1',
      '-ss',
      String(start),
      '-i',
      all,
      '-t',
      String(seconds),
      ...(format === 'wav' ? ['-c:a', 'pcm_s16le'] : format === 'ogg' ? ['-c:a', 'libvorbis'] : []),
      '-ar',
      '16000',
      '-ac',
      '1',
      path.join(directory, name),
    ]);
    return name;
  });
}
