import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSampleClips, type SampleClip } from '../../scripts/sample-audio.ts';
import { closeAll, createTestBucket, uniqueName } from '../harness/test-services.ts';
import { startSystem, waitForBatch, type RunningSystem } from '../support/running-system.ts';

const API_KEY = 'browser-test-key';

/** The part of HTMLAudioElement the test reads (the project's TS config has no DOM types). */
interface MediaElement {
  readyState: number;
  duration: number;
  addEventListener(type: 'loadedmetadata', listener: () => void): void;
}
const SCREENSHOT = path.resolve('test-results/search-page.png');

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
    // Flags as this machine needs them: no sandbox as root, and no background network calls.
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--autoplay-policy=no-user-gesture-required'],
    });
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
    const duration = await second.locator('audio').evaluate(
      (audio: MediaElement) => new Promise<number>((resolve) => (audio.readyState >= 1 ? resolve(audio.duration) : audio.addEventListener('loadedmetadata', () => resolve(audio.duration)))),
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
