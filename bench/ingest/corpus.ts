import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const SOURCES = ['/usr/share/sounds/freedesktop/stereo', '/usr/share/asterisk/sounds'];

/**
 * Real recordings from Debian packages (sound-theme-freedesktop OGGs, Asterisk's English
 * prompts as WAV), copied flat into `directory` under unique names so one static server
 * can serve them all. Returns the file names, sorted, at most `count`.
 */
export function copyRecordings(directory: string, count: number): string[] {
  const found: string[] = [];
  for (const root of SOURCES) {
    if (!fs.existsSync(root)) continue;
    const listed = execFileSync('find', [root, '-type', 'f', '(', '-name', '*.oga', '-o', '-name', '*.wav', ')'], { encoding: 'utf8' });
    found.push(...listed.split('\n').filter(Boolean).sort());
  }
  if (found.length === 0) throw new Error(`no recordings under ${SOURCES.join(' or ')}: apt-get install sound-theme-freedesktop asterisk-core-sounds-en-wav`);
  fs.mkdirSync(directory, { recursive: true });
  return found.slice(0, count).map((source, index) => {
    const name = `${String(index).padStart(4, '0')}-${path.basename(source)}`;
    fs.copyFileSync(source, path.join(directory, name));
    return name;
  });
}
