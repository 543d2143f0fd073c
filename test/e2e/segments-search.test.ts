import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSampleClips } from '../../scripts/sample-audio.ts';
import { closeAll, createTestBucket, uniqueName } from '../harness/test-services.ts';
import { startSystem, waitForBatch, type RunningSystem } from '../support/running-system.ts';
import { serveDirectory, type StaticFileServer } from '../support/static-file-server.ts';

const run = promisify(execFile);
const PIECE_SECONDS = 6;
const PIECES = 5;

interface RecordingHit {
  id: string;
  score: number;
  match: { start: number; end: number };
  segments?: { start: number; end: number; score: number }[];
}

/**
 * Long recordings end to end: four 30 s recordings, each five different 6 s pieces (tones,
 * noise, chords, sweeps, speech from the sample clips) joined; excerpts cut from them find
 * their recording and where in it they start (docs/segments.md).
 */
describe('segments: an excerpt finds its recording and its place (api -> worker -> indexer)', () => {
  const collection = uniqueName('segments');
  let directory: string;
  let files: StaticFileServer;
  let system: RunningSystem;
  const recordings: string[] = [];

  async function ffmpeg(args: string[]): Promise<void> {
    await run('ffmpeg', ['-nostdin', '-y', '-loglevel', 'error', ...args]);
  }

  beforeAll(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'segments-'));
    const clips = await writeSampleClips(directory, 20);
    for (let recording = 0; recording < 4; recording += 1) {
      const pieces = clips.filter((_, index) => index % 4 === recording).slice(0, PIECES);
      const inputs = pieces.flatMap((clip) => ['-stream_loop', '-1', '-t', String(PIECE_SECONDS), '-i', clip.file]);
      const joined = pieces.map((_, index) => `[${index}:a]aresample=16000,aformat=channel_layouts=mono[p${index}]`).join(';');
      const concat = `${pieces.map((_, index) => `[p${index}]`).join('')}concat=n=${pieces.length}:v=0:a=1[out]`;
      const name = `recording-${recording}.wav`;
      await ffmpeg([...inputs, '-filter_complex', `${joined};${concat}`, '-map', '[out]', path.join(directory, name)]);
      recordings.push(name);
    }
    files = await serveDirectory(directory);
    system = await startSystem({ bucket: (await createTestBucket('segments')).bucket });
    const accepted = await system.call<{ batchId: string }>('POST', '/v1/ingest', {
      collection,
      items: recordings.map((name) => ({ id: name, url: files.urlOf(name) })),
    });
    expect(accepted.status).toBe(202);
    const batch = await waitForBatch(system, accepted.body.batchId);
    expect(batch).toMatchObject({ total: 4, indexed: 4, failed: 0 });
  });

  afterAll(async () => {
    await system?.stop();
    await files?.close();
    await closeAll();
    if (directory) fs.rmSync(directory, { recursive: true, force: true });
  });

  async function searchExcerpt(recording: number, start: number, seconds: number, extra: Record<string, unknown> = {}): Promise<RecordingHit[]> {
    const name = `excerpt-${recording}-${start}-${seconds}.wav`;
    await ffmpeg(['-ss', String(start), '-t', String(seconds), '-i', path.join(directory, recordings[recording]!), path.join(directory, name)]);
    for (let attempt = 0; ; attempt += 1) {
      const { status, body } = await system.call<{ results: RecordingHit[] }>('POST', '/v1/search', {
        collection,
        k: 4,
        query: { url: files.urlOf(name) },
        ...extra,
      });
      if (status === 200 && body.results.length === 4) return body.results;
      if (attempt > 50) throw new Error(`search never answered: ${status} ${JSON.stringify(body)}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  it('indexes each recording as its segments and reports recordings and segments apart', async () => {
    // `indexed` follows LATEST; the API loads that snapshot on its notice a moment later.
    let body: { recordings?: number; segments?: number } = {};
    for (let attempt = 0; attempt < 50 && body.recordings !== 4; attempt += 1) {
      body = (await system.call<typeof body>('GET', `/v1/collections/${collection}`)).body;
      if (body.recordings !== 4) await new Promise((resolve) => setTimeout(resolve, 200));
    }
    // 30 s (less what the mp3 pieces' decoders trim) at the default 2.5 s every 1.25 s: 23 segments each.
    expect(body).toMatchObject({ recordings: 4, segments: 92 });
  });

  it.each([
    [0, 3.2],
    [1, 13.7],
    [2, 21.1],
    [3, 8.4],
  ])('a 5 s excerpt of recording %i from %f s finds it first, matched within 2.5 s', async (recording, start) => {
    const results = await searchExcerpt(recording, start, 5);
    expect(results[0]!.id).toBe(recordings[recording]);
    expect(Math.abs(results[0]!.match.start - start)).toBeLessThanOrEqual(2.5);
    expect(new Set(results.map((hit) => hit.id)).size).toBe(4); // one result per recording
  });

  it('a 14 s excerpt is cut into segments that vote for one offset', async () => {
    const results = await searchExcerpt(2, 9.3, 14, { segments: 3 });
    expect(results[0]!.id).toBe(recordings[2]);
    expect(Math.abs(results[0]!.match.start - 9.3)).toBeLessThanOrEqual(2.5);
    expect(results[0]!.match.end - results[0]!.match.start).toBeGreaterThan(10);
    expect(results[0]!.segments!.length).toBeGreaterThan(0);
    expect(results[0]!.score).toBeGreaterThan(results[1]!.score);
  });

  it('a whole recording by id ranks itself first over its full span', async () => {
    const { body } = await system.call<{ results: RecordingHit[] }>('POST', '/v1/search', { collection, k: 4, query: { id: recordings[1] } });
    expect(body.results[0]).toMatchObject({ id: recordings[1], match: { start: 0 } });
    expect(body.results[0]!.match.end).toBeGreaterThan(29.5); // 30 s, less what the mp3 pieces' decoders trim
    expect(body.results[0]!.score).toBeCloseTo(1, 4);
  });
});
