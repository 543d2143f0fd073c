import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, createTestBucket, testServiceEnv, uniqueName } from '../harness/test-services.ts';
import type { AppProcess } from '../support/app-processes.ts';
import { ProcessSystem } from '../support/process-system.ts';
import { toneClip, wavBytes } from '../worker/support/wav-audio.ts';
import { waitFor } from './support/recovery-check.ts';
import { unitVectorOfDefaultDim } from '../support/default-model.ts';

/** Imported vectors must match the collection's model: the default's dimension. */
const UNIT = unitVectorOfDefaultDim();
const WAIT_MS = 300;
const REQUEST_TIMEOUT_MS = 2_000;

interface ErrorBody {
  error?: { code: string };
  results?: unknown[];
}

/** An audio server: `/slow.wav` trickles bytes forever (and reports when its client hangs up), `/good.wav` is a real clip. */
async function audioServer(good: Buffer) {
  let openSlow = 0;
  let slowSeen = 0;
  const server = http.createServer((request, response) => {
    if (request.url === '/good.wav') return void response.writeHead(200, { 'content-type': 'audio/wav' }).end(good);
    slowSeen += 1;
    openSlow += 1;
    response.writeHead(200, { 'content-type': 'audio/wav' });
    response.write(good.subarray(0, 44));
    const timer = setInterval(() => response.write(Buffer.alloc(16)), 200);
    response.on('close', () => {
      clearInterval(timer);
      openSlow -= 1;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: (name: string) => `http://127.0.0.1:${port}/${name}`,
    get openSlow() {
      return openSlow;
    },
    get slowSeen() {
      return slowSeen;
    },
    close: () => new Promise<void>((resolve) => server.closeAllConnections() ?? server.close(() => resolve())),
  };
}

/**
 * Issue 11, item 6 (query side) against a real API process: audio queries are capped
 * (QUERY_EMBED_CONCURRENCY=1: a second waits QUERY_EMBED_WAIT_MS, then 503 BUSY +
 * Retry-After), a URL query whose client goes away stops fetching at once (the audio server
 * sees its connection close, the slot frees), uploads leave no scratch file on any path
 * (refused, abandoned mid-body, stalled past REQUEST_TIMEOUT_MS), all in the API's own TMPDIR.
 */
describe('bounded audio-query work in the API (api and indexer processes, real Redis and S3)', () => {
  const collection = uniqueName('bounded');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'api-tmp-'));
  const good = wavBytes(toneClip(4, 1.5));
  let audio: Awaited<ReturnType<typeof audioServer>>;
  let system: ProcessSystem;
  let api: AppProcess;

  const scratch = () => fs.readdirSync(tmp).filter((name) => name.startsWith('audio-index-'));

  beforeAll(async () => {
    audio = await audioServer(good);
    const { bucket } = await createTestBucket('bounded');
    system = await ProcessSystem.start({ services: testServiceEnv(), bucket, namespace: uniqueName('bq').slice(0, 24), apis: 0, workers: 0 });
    api = await system.startApi({
      TMPDIR: tmp,
      QUERY_EMBED_CONCURRENCY: '1',
      QUERY_EMBED_WAIT_MS: String(WAIT_MS),
      REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      QUERY_FETCH_TIMEOUT_MS: '30000',
    });
    expect((await system.call('POST', `/v1/collections/${collection}/vectors`, { body: { items: [{ id: 'seed', vector: UNIT }] } })).status).toBe(202);
    await waitFor(
      async () => (await system.call<{ count?: number }>('GET', `/v1/collections/${collection}`)).body.count === 1,
      'the seed snapshot served',
      60_000,
    );
  }, 180_000);

  afterAll(async () => {
    await system?.stop();
    await audio?.close();
    await closeAll();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  const searchUrl = (url: string, signal?: AbortSignal) =>
    fetch(`${api.url}/v1/search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${system.key}` },
      body: JSON.stringify({ collection, k: 1, query: { url } }),
      signal,
    });

  it('caps concurrent audio queries with 503 BUSY, and a query whose client left stops fetching and frees its slot', { timeout: 60_000 }, async () => {
    const abandoned = new AbortController();
    const first = searchUrl(audio.url('slow.wav'), abandoned.signal).catch((error: Error) => error);
    await waitFor(async () => audio.openSlow === 1, 'the first query fetching', 10_000);

    const started = Date.now();
    const busy = await system.call<ErrorBody>('POST', '/v1/search', { body: { collection, k: 1, query: { url: audio.url('good.wav') } } });
    const waited = Date.now() - started;
    expect([busy.status, busy.body.error?.code]).toEqual([503, 'BUSY']);
    expect(Number(busy.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(waited).toBeGreaterThanOrEqual(WAIT_MS - 50);
    expect(waited).toBeLessThan(5_000);
    const upload = await system.call<ErrorBody>('POST', `/v1/search/audio?collection=${collection}&k=1`, {
      body: good,
      headers: { 'content-type': 'audio/wav' },
    });
    expect([upload.status, upload.body.error?.code]).toEqual([503, 'BUSY']);
    // The refused upload's scratch file is gone; only the running query's download is there.
    expect(scratch().filter((name) => name.startsWith('audio-index-upload-'))).toEqual([]);
    expect(scratch()).toHaveLength(1);

    abandoned.abort();
    expect(await first).toBeInstanceOf(Error);
    // The API hung up on the audio server (before: it kept reading until QUERY_FETCH_TIMEOUT_MS).
    await waitFor(async () => audio.openSlow === 0, 'the abandoned fetch to stop', 5_000);
    await waitFor(async () => scratch().length === 0, 'its download removed', 5_000);

    const served = await system.call<ErrorBody>('POST', '/v1/search', { body: { collection, k: 1, query: { url: audio.url('good.wav') } } });
    expect(served.status, JSON.stringify(served.body)).toBe(200);
    expect(served.body.results).toHaveLength(1);
    const uploaded = await system.call<ErrorBody>('POST', `/v1/search/audio?collection=${collection}&k=1`, {
      body: good,
      headers: { 'content-type': 'audio/wav' },
    });
    expect(uploaded.status).toBe(200);
    expect(scratch()).toEqual([]);
  });

  /** A raw upload that declares `declared` bytes and sends `sent`; the caller decides what comes next. */
  function partialUpload(declared: number, sent: number): net.Socket {
    const { port } = new URL(api.url!);
    const socket = net.connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(
      `POST /v1/search/audio?collection=${collection} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${system.key}\r\nContent-Type: audio/wav\r\nContent-Length: ${declared}\r\n\r\n`,
    );
    socket.write(Buffer.alloc(sent, 1));
    return socket;
  }

  it('removes an upload abandoned mid-body, and ends one stalled past REQUEST_TIMEOUT_MS', { timeout: 60_000 }, async () => {
    const abandoned = partialUpload(400_000, 100_000);
    await waitFor(async () => scratch().some((name) => name.startsWith('audio-index-upload-')), 'the upload being staged', 10_000);
    abandoned.destroy();
    await waitFor(async () => scratch().length === 0, 'the abandoned upload removed', 5_000);

    const stalled = partialUpload(400_000, 1_000);
    const answer = new Promise<string>((resolve) => {
      let text = '';
      stalled.on('data', (chunk: Buffer) => (text += chunk.toString()));
      stalled.on('close', () => resolve(text));
    });
    const started = Date.now();
    const text = await answer;
    const took = Date.now() - started;
    // Node answers 408 when it ends the request itself; either way the socket is closed.
    if (text) expect(text).toMatch(/^HTTP\/1\.1 408/);
    expect(took).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 200);
    expect(took).toBeLessThan(REQUEST_TIMEOUT_MS + 4_000);
    await waitFor(async () => scratch().length === 0, 'the stalled upload removed', 5_000);
    await sleep(100);
    expect((await system.call('GET', '/readyz')).status).toBe(200);
    expect(system.crashes()).toEqual([]);
  });
});
