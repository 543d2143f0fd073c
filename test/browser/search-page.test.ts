import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeAudioFile } from '@audio-index/audio-input';
import { createEmbedder, loadModelCard } from '@audio-index/embedding';
import { writeSampleClips, type SampleClip } from '../../scripts/sample-audio.ts';
import { startApiUnderTest, type ApiUnderTest } from '../api/support/running-api.ts';
import { publishVersion, writeRecordingShard, type FixtureRecording } from '../api/support/snapshot-fixture.ts';
import { closeAll, connectTestRedis, createTestBucket, uniqueName } from '../harness/test-services.ts';
import { startSystem, waitForBatch, type RunningSystem } from '../support/running-system.ts';

const API_KEY = 'browser-test-key';

/** The part of HTMLAudioElement the test reads (the project's TS config has no DOM types). */
interface MediaElement {
  readyState: number;
  duration: number;
  currentTime: number;
  paused: boolean;
  addEventListener(type: 'loadedmetadata', listener: () => void): void;
}

// Flags as this machine needs them: no sandbox as root, and no background network calls.
const launchChromium = () =>
  chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
const SCREENSHOT = path.resolve('test-results/search-page.png');

/** Waits until the API's searches answer from a snapshot of `recordings` recordings of `collection`. */
async function servedRecordings(system: RunningSystem, collection: string, recordings: number, anId: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await system.call<{ snapshot?: { recordings?: number } }>(
      'POST',
      '/v1/search',
      { collection, k: 1, query: { id: anId } },
      { authorization: `Bearer ${API_KEY}` },
    );
    if (answer.body.snapshot?.recordings === recordings) return;
    if (Date.now() > deadline) throw new Error(`the API never served ${recordings} recordings of ${collection}: ${JSON.stringify(answer)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe('search page in headless Chromium', () => {
  const collection = uniqueName('page');
  let clipDirectory: string;
  let clips: SampleClip[];
  let system: RunningSystem;
  let browser: Browser;

  beforeAll(async () => {
    clipDirectory = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'page-clips-')));
    clips = await writeSampleClips(clipDirectory, 8);
    const { bucket } = await createTestBucket('page');
    system = await startSystem({ bucket, env: { FILE_ROOT: clipDirectory, API_KEYS: API_KEY } });
    const items = clips.map((clip) => ({ id: clip.name, url: pathToFileURL(clip.file).href, metadata: { kind: clip.kind } }));
    const { body } = await system.call<{ batchId: string }>('POST', '/v1/ingest', { collection, items });
    expect((await waitForBatch(system, body.batchId)).indexed).toBe(clips.length);
    // A batch is done once LATEST names a snapshot with all of it; the API loads that snapshot on a
    // notice a moment later. Until it has, a search can rank only what it already had (CI: 3 of 5 rows).
    await servedRecordings(system, collection, clips.length, clips[0]!.name);
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await system?.stop();
    await closeAll();
    fs.rmSync(clipDirectory, { recursive: true, force: true });
  });

  it('uploads a clip, ranks it first, and plays a result through the API', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(system.api.url);
    await page.fill('#apiKey', API_KEY);
    await page.fill('#collection', collection);
    await page.fill('#k', '5');
    const query = clips.find((clip) => clip.kind === 'speech') ?? clips[0]!;
    await page.setInputFiles('#file', query.file);

    const firstRow = page.locator('#results tbody tr').first();
    await firstRow.waitFor({ timeout: 30_000 });
    expect(await firstRow.locator('td.id').textContent()).toBe(query.name);
    expect(Number(await firstRow.locator('td.score').evaluate((cell) => cell.firstChild?.textContent))).toBeGreaterThan(0.99);
    expect(await page.locator('#results tbody tr').count()).toBe(5);
    expect(await page.locator('#queryAudio').getAttribute('src')).toMatch(/^blob:/);

    const second = page.locator('#results tbody tr').nth(1);
    await second.locator('button').click();
    await page.locator('#results tbody tr:nth-child(2)[data-playing="true"] audio').waitFor({ timeout: 30_000 });
    const duration = await second
      .locator('audio')
      .evaluate(
        (audio: MediaElement) =>
          new Promise<number>((resolve) =>
            audio.readyState >= 1 ? resolve(audio.duration) : audio.addEventListener('loadedmetadata', () => resolve(audio.duration)),
          ),
      );
    expect(duration).toBeGreaterThan(1);

    fs.mkdirSync(path.dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(fs.statSync(SCREENSHOT).size).toBeGreaterThan(10_000);
    expect(pageErrors).toEqual([]);
  });

  it('shows the API error when the key is wrong', async () => {
    const page = await browser.newPage();
    await page.goto(system.api.url);
    await page.fill('#apiKey', 'wrong-key');
    await page.fill('#collection', collection);
    await page.setInputFiles('#file', clips[0]!.file);
    await page.locator('#status.error').waitFor({ timeout: 30_000 });
    expect(await page.locator('#status').textContent()).toContain('UNAUTHORIZED');
  });
});

describe('search page: a result plays from where it matched (multi-segment recording, headless Chromium)', () => {
  const collection = uniqueName('page-match');
  const segmentation = { segmentSeconds: 5, hopSeconds: 2.5 };
  let directory: string;
  let api: ApiUnderTest;
  let browser: Browser;
  let excerpt: string;

  beforeAll(async () => {
    directory = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'page-match-')));
    // 80 s: pink noise, then a 10 s sweep at 40 s, then brown noise. The query is that sweep,
    // cut out of the recording itself (wav, sample exact).
    const long = path.join(directory, 'long.wav');
    const other = path.join(directory, 'other.wav');
    excerpt = path.join(directory, 'excerpt.wav');
    const ffmpeg = (...args: string[]) => execFileSync('ffmpeg', ['-nostdin', '-v', 'error', '-y', ...args]);
    ffmpeg(
      ...['-f', 'lavfi', '-i', 'anoisesrc=color=pink:amplitude=0.2:seed=5:duration=40:sample_rate=16000'],
      ...['-f', 'lavfi', '-i', 'aevalsrc=0.5*sin(2*PI*(200+300*t)*t):d=10:s=16000'],
      ...['-f', 'lavfi', '-i', 'anoisesrc=color=brown:amplitude=0.3:seed=6:duration=30:sample_rate=16000'],
      ...['-filter_complex', '[0][1][2]concat=n=3:v=0:a=1', '-ac', '1', '-ar', '16000', long],
    );
    ffmpeg('-i', long, '-ss', '40', '-t', '10', excerpt);
    ffmpeg('-f', 'lavfi', '-i', 'aevalsrc=0.4*sin(2*PI*440*t)*(0.5+0.5*sin(2*PI*3*t)):d=30:s=16000', '-ac', '1', other);

    // The rows are what a worker writes for these files: the shipped model's segment embeddings.
    const card = loadModelCard('default');
    const embedder = await createEmbedder({ model: 'default', executionProvider: 'cpu' });
    const recordings: FixtureRecording[] = [];
    try {
      for (const [id, file] of [
        ['long', long],
        ['other', other],
      ] as const) {
        const samples = await decodeAudioFile(file, { sampleRate: card.sampleRate, maxSeconds: 600, timeoutMs: 60_000 });
        const { vectors, segments } = await embedder.embedSegments(samples, segmentation);
        recordings.push({ id, url: pathToFileURL(file).href, metadata: { file: path.basename(file) }, vectors, spans: segments });
      }
    } finally {
      await embedder.close();
    }
    const { bucket } = await createTestBucket('page-match');
    api = await startApiUnderTest(bucket, { FILE_ROOT: directory });
    const shard = await writeRecordingShard(api.store, collection, 'recordings', recordings, card.dim);
    await publishVersion(api.store, connectTestRedis(), api.namespace, {
      collection,
      version: 1,
      model: { id: card.id, dim: card.dim },
      shards: [shard.entry],
      segmentation,
      recordings: recordings.length,
    });
    browser = await launchChromium();
  });

  afterAll(async () => {
    await browser?.close();
    await api?.stop();
    await closeAll();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('draws the matched stretch on the timeline and starts playback at match.start', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(api.api.url);
    await page.fill('#apiKey', api.key);
    await page.fill('#collection', collection);
    await page.fill('#k', '2');
    await page.setInputFiles('#file', excerpt);

    const firstRow = page.locator('#results tbody tr').first();
    await firstRow.waitFor({ timeout: 30_000 });
    expect(await firstRow.locator('td.id').textContent()).toBe('long');
    const match = JSON.parse((await firstRow.getAttribute('data-match'))!) as { start: number; end: number };
    expect(match).toEqual({ start: 40, end: 50 });
    expect(await firstRow.locator('td.where .span').textContent()).toBe('00:40–00:50');
    // 80 s long: the mark covers 50%..62.5% of the bar.
    const mark = await firstRow
      .locator('.timeline .matched')
      .evaluate((element: { style: { left: string; width: string } }) => ({ left: element.style.left, width: element.style.width }));
    expect(mark).toEqual({ left: '50%', width: '12.5%' }); // the browser normalises 50.00% to 50%

    await firstRow.locator('button').click();
    await page.locator('#results tbody tr:first-child[data-playing="true"] audio').waitFor({ timeout: 30_000 });
    const playback = await firstRow
      .locator('audio')
      .evaluate((audio: MediaElement) => ({ currentTime: audio.currentTime, paused: audio.paused, duration: audio.duration }));
    expect(playback.duration).toBeCloseTo(80, 0);
    expect(playback.paused).toBe(false);
    expect(playback.currentTime).toBeGreaterThanOrEqual(match.start - 0.05);
    expect(playback.currentTime).toBeLessThan(match.start + 2);
    expect(pageErrors).toEqual([]);
  });
});
