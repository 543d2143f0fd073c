/**
 * Embedding one long recording: the plain loop's single session against the worker's
 * embedder at several thread counts and batch sizes (not a test). Run from the repo root:
 *
 *   npx tsx bench/ingest/embed-batching.ts
 *
 * Five minutes of an Asterisk prompt read over and over, cut as new collections are cut, each
 * setting twice (the machine is shared: compare rows of one round).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { decodeAudioFile } from '@audio-index/audio-input';
import { createEmbedder, createInferenceSession, embedClips, loadModelCard, planSegments, segmentSampleRange } from '@audio-index/embedding';
import { loadWorkerConfig } from '@audio-index/worker';

const PROMPT = '/usr/share/asterisk/sounds/en_US_f_Allison/conf-invalidpin.wav';
const SETTINGS: [threads: number, batchSize: number][] = [
  [2, 4],
  [2, 1],
  [1, 1],
  [3, 1],
];
const segmentation = loadWorkerConfig({}).segmentation;
const loadavg = () => fs.readFileSync('/proc/loadavg', 'utf8').trim();

const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'embed-batching-')), 'long.wav');
execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-y', '-stream_loop', '-1', '-i', PROMPT, '-t', '300', '-ar', '16000', '-ac', '1', file]);
const samples = await decodeAudioFile(file, { sampleRate: 16_000, maxSeconds: 3600, timeoutMs: 60_000 });
fs.rmSync(path.dirname(file), { recursive: true, force: true });
const card = loadModelCard('default');
const { cardPath: _cardPath, modelPath, ...cardFile } = card;

async function plainLoopMs(): Promise<number> {
  const session = await createInferenceSession({ modelPath, executionProvider: 'cpu', intraOpThreads: 1 });
  const started = performance.now();
  for (const span of planSegments(samples.length, card.sampleRate, segmentation)) {
    const [from, to] = segmentSampleRange(span, card.sampleRate, samples.length);
    await embedClips(session, cardFile, [samples.subarray(from, to)], 1);
  }
  const ms = performance.now() - started;
  await session.release();
  return ms;
}

console.log('| round | setup | ms | model calls | `cat /proc/loadavg` |');
console.log('|---|---|---|---|---|');
for (const round of [1, 2]) {
  console.log(`| ${round} | plain loop, one session | ${(await plainLoopMs()).toFixed(0)} | | ${loadavg()} |`);
  for (const [threads, batchSize] of SETTINGS) {
    const embedder = await createEmbedder({ model: 'default', executionProvider: 'cpu', threads, batchSize });
    const started = performance.now();
    await embedder.embedSegments(samples, segmentation);
    const ms = performance.now() - started;
    console.log(`| ${round} | EMBED_THREADS=${threads} EMBED_BATCH_SIZE=${batchSize} | ${ms.toFixed(0)} | ${embedder.stats().modelCalls} | ${loadavg()} |`);
    await embedder.close();
  }
}
