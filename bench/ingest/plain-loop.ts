import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import type * as FaissNode from 'faiss-node';
import { decodeAudioFile } from '@audio-index/audio-input';
import {
  asEmbeddingError,
  createInferenceSession,
  embedClips,
  embedRecordingSegments,
  embedSegmentRun,
  EmbeddingError,
  l2Normalise,
  loadModelCard,
  planSegments,
  segmentSampleRange,
  type ModelCardFile,
  type SegmentExecutor,
  type SegmentSettings,
  type SplitSessions,
} from '@audio-index/embedding';
import type ort from 'onnxruntime-node';
import { machineBusySeconds, processCpuSeconds } from './cpu-time.ts';

// faiss-node is CommonJS with a native addon; require() is how it loads (scripts/faiss-node-build.test.ts).
const faiss = createRequire(import.meta.url)('faiss-node') as typeof FaissNode;

export interface LoopOutcome {
  seconds: number;
  items: number;
  rows: number;
  failed: number;
  audioSeconds: number;
  /** Mean seconds per item in each step. */
  stages: Record<'fetch' | 'decode' | 'embed' | 'faiss_add', number>;
  /** CPU seconds of this process (with its ffmpeg children and the file server it also runs) and of the whole machine. */
  cpuSeconds: number;
  machineCpuSeconds: number;
}

/**
 * The plain sequential loop the pipeline must beat (issue 13): one process, one item at a time,
 * no queue: fetch over HTTP into a file, ffmpeg decode (the pipeline's decoder and arguments),
 * embed each segment with the same ONNX model in one session on the main thread, L2-normalise,
 * `IndexFlatIP.add`, and at the end write the index file (searchable). The session is created
 * before the clock starts, as the workers' are. With `sharedFrames`, segments are embedded as the
 * embedder does (docs/shared-frames.md: one front-end run per 16 overlapping segments), still
 * one model call at a time: the loop that does the same arithmetic as the system.
 */
export async function plainLoop(
  urls: readonly string[],
  segmentation: SegmentSettings,
  intraOpThreads: number,
  options: { sharedFrames?: boolean } = {},
): Promise<LoopOutcome> {
  const card = loadModelCard('default');
  const { cardPath: _cardPath, modelPath, sharedFramePaths, ...cardFile } = card;
  const open = (file: string) => createInferenceSession({ modelPath: file, executionProvider: 'cpu', intraOpThreads });
  const session = await open(modelPath);
  const split =
    options.sharedFrames && sharedFramePaths ? { frontEnd: await open(sharedFramePaths.frontEnd), head: await open(sharedFramePaths.head) } : undefined;
  const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'plain-loop-'));
  const index = new faiss.IndexFlatIP(card.dim);
  const stages = { fetch: 0, decode: 0, embed: 0, faiss_add: 0 };
  let rows = 0;
  let failed = 0;
  let audioSeconds = 0;
  const [cpuBefore, machineBefore] = [processCpuSeconds(process.pid), machineBusySeconds()];
  const started = performance.now();
  try {
    for (const [number, url] of urls.entries()) {
      try {
        let mark = performance.now();
        const response = await fetch(url);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const file = path.join(scratch, `item-${number}`);
        await fs.writeFile(file, Buffer.from(await response.arrayBuffer()));
        stages.fetch += performance.now() - mark;
        mark = performance.now();
        const samples = await decodeAudioFile(file, { sampleRate: card.sampleRate, maxSeconds: 3600, timeoutMs: 300_000 });
        await fs.rm(file);
        audioSeconds += samples.length / card.sampleRate;
        stages.decode += performance.now() - mark;
        mark = performance.now();
        const vectors: number[] = [];
        if (split) {
          vectors.push(...(await embedRecordingSegments(sequentialExecutor(session, split, cardFile), cardFile, samples, segmentation)).vectors);
        } else {
          for (const span of planSegments(samples.length, card.sampleRate, segmentation)) {
            const [from, to] = segmentSampleRange(span, card.sampleRate, samples.length);
            const [outcome] = (await embedClips(session, cardFile, [samples.subarray(from, to)], 1)).outcomes;
            if (outcome && 'vector' in outcome) vectors.push(...l2Normalise(outcome.vector));
          }
        }
        stages.embed += performance.now() - mark;
        mark = performance.now();
        if (vectors.length > 0) index.add(vectors);
        rows += vectors.length / card.dim;
        stages.faiss_add += performance.now() - mark;
      } catch {
        failed += 1;
      }
    }
    index.write(path.join(scratch, 'index.faiss'));
    const seconds = (performance.now() - started) / 1000;
    const perItem = (ms: number) => ms / 1000 / urls.length;
    return {
      seconds,
      items: urls.length - failed,
      rows,
      failed,
      audioSeconds,
      stages: { fetch: perItem(stages.fetch), decode: perItem(stages.decode), embed: perItem(stages.embed), faiss_add: perItem(stages.faiss_add) },
      cpuSeconds: processCpuSeconds(process.pid) - cpuBefore,
      machineCpuSeconds: machineBusySeconds() - machineBefore,
    };
  } finally {
    await Promise.all([session, split?.frontEnd, split?.head].map((opened) => opened?.release()));
    await fs.rm(scratch, { recursive: true, force: true });
  }
}

/**
 * The embedder's own segment planning (runs of shared frames where the card allows) on this
 * thread's sessions, one model call at a time, so the loop stays a loop.
 */
function sequentialExecutor(session: ort.InferenceSession, split: SplitSessions, card: ModelCardFile): SegmentExecutor {
  let last: Promise<unknown> = Promise.resolve();
  const oneAtATime = <T>(work: () => Promise<T>): Promise<T> => {
    const next = last.then(work, work);
    last = next.catch(() => undefined);
    return next;
  };
  return {
    embed: (samples) =>
      oneAtATime(async () => {
        const [outcome] = (await embedClips(session, card, [samples], 1)).outcomes;
        if (!outcome || 'error' in outcome) throw outcome?.error ?? new EmbeddingError('INFERENCE_FAILED', 'no outcome');
        return outcome.vector;
      }),
    embedRun: (samples, starts, segmentSamples) =>
      oneAtATime(async () => {
        const { outcomes } = await embedSegmentRun(split, card, { samples, starts, segmentSamples });
        return outcomes.map((outcome) => ('vector' in outcome ? outcome.vector : asEmbeddingError(outcome.error)));
      }),
  };
}
