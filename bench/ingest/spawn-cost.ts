/**
 * What one ffmpeg decode of a short clip costs, and how much of it is the fork from a large
 * Node process (not a test). Run from the repo root:
 *
 *   npx tsx bench/ingest/spawn-cost.ts
 *
 * Spawns `/bin/true` (the fork/exec alone) and ffmpeg on a 1 s 8 kHz prompt, first from this
 * bare process, then with the worker's default embedder loaded (its inference threads and
 * ONNX sessions, as a worker holds them), and times the in-process conversion of the same clip.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { decodeAudio, decodeAudioFile } from '@audio-index/audio-input';
import { createEmbedder } from '@audio-index/embedding';

const CLIP = '/usr/share/asterisk/sounds/en_US_f_Allison/activated.wav';
const ROUNDS = 20;

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.resume();
    child.once('error', reject);
    child.once('close', () => resolve());
  });
}

async function meanMs(step: () => Promise<unknown>): Promise<number> {
  for (let i = 0; i < 3; i++) await step();
  const started = performance.now();
  for (let i = 0; i < ROUNDS; i++) await step();
  return (performance.now() - started) / ROUNDS;
}

async function measure(label: string): Promise<void> {
  const options = { sampleRate: 16_000, maxSeconds: 60, timeoutMs: 30_000 };
  const fork = await meanMs(() => run('/bin/true', []));
  const ffmpeg = await meanMs(() => decodeAudioFile(CLIP, options));
  const inProcess = await meanMs(() => decodeAudio(CLIP, options));
  const rss = process.memoryUsage().rss / 1e6;
  console.log(`| ${label} | ${rss.toFixed(0)} MB | ${fork.toFixed(1)} ms | ${ffmpeg.toFixed(1)} ms | ${inProcess.toFixed(1)} ms |`);
}

if (!fs.existsSync(CLIP)) throw new Error(`${CLIP} missing: apt-get install asterisk-core-sounds-en-wav`);
console.log(`\`cat /proc/loadavg\`: ${fs.readFileSync('/proc/loadavg', 'utf8').trim()}\n`);
console.log('| process | RSS | spawn /bin/true | ffmpeg decode (1 s, 8 kHz -> 16 kHz) | in-process decode |');
console.log('|---|---|---|---|---|');
await measure('bare tsx process');
const embedder = await createEmbedder({ model: 'default', executionProvider: 'cpu', threads: 2 });
await embedder.embed(new Float32Array(16_000 * 3).map((_, i) => Math.sin(i / 10)));
await measure('with the 2-thread default embedder loaded');
await embedder.close();
