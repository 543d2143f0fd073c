import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, createTestBucket } from '../harness/test-services.ts';
import { startApiUnderTest, type ApiUnderTest } from '../api/support/running-api.ts';

interface Answer {
  status: number;
  code: string | undefined;
  body: string;
}

/** node:http, since fetch will not send a Host header of the caller's choosing. */
function send(base: string, method: string, route: string, headers: Record<string, string>, body?: string | Buffer): Promise<Answer> {
  const url = new URL(route, base);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method, headers: { ...headers, ...(body === undefined ? {} : { 'content-length': String(Buffer.byteLength(body)) }) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let code: string | undefined;
          try {
            code = (JSON.parse(text) as { error?: { code: string } }).error?.code;
          } catch {
            // HTML or empty
          }
          resolve({ status: response.statusCode ?? 0, code, body: text });
        });
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

/**
 * Issue 11, item 12 against a real keyless API on loopback (the setup a browser on the same
 * machine can reach): DNS-rebinding Host names are refused, POSTs that a cross-site form or
 * `no-cors` fetch can make are refused, and the search page keeps the key in sessionStorage.
 */
describe('browser-facing safety of a keyless API on loopback (real API, real Redis and S3)', () => {
  let api: ApiUnderTest;
  let port: string;
  const collection = 'browser-safety';

  beforeAll(async () => {
    const { bucket } = await createTestBucket('browser');
    api = await startApiUnderTest(bucket, { API_KEYS: '', HOST: '127.0.0.1' });
    port = new URL(api.api.url).port;
  });

  afterAll(async () => {
    await api?.stop();
    await closeAll();
  });

  it('answers only Host names of loopback with its port', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, `LOCALHOST:${port}`]) {
      expect((await send(api.api.url, 'GET', '/healthz', { host })).status, host).toBe(200);
    }
    for (const host of [
      'evil.example',
      `evil.example:${port}`,
      `localhost.evil.example:${port}`,
      `127.0.0.1:${Number(port) + 1}`,
      'localhost',
      `127.0.0.1.nip.io:${port}`,
    ]) {
      const answer = await send(api.api.url, 'GET', '/v1/collections', { host });
      expect([answer.status, answer.code], host).toEqual([403, 'HOST_NOT_ALLOWED']);
    }
    const page = await send(api.api.url, 'GET', '/', { host: `evil.example:${port}` });
    expect(page.status).toBe(403);
  });

  it('refuses POSTs a cross-site page could send, serves JSON, raw audio and X-Requested-With', async () => {
    const host = `127.0.0.1:${port}`;
    const ingest = JSON.stringify({ collection, items: [{ url: 'https://example.org/a.wav' }] });
    const refused: [string, Record<string, string>, string | undefined][] = [
      // text/plain carrying JSON: what `<form enctype="text/plain">` makes.
      ['/v1/ingest', { 'content-type': 'text/plain' }, ingest],
      ['/v1/ingest', { 'content-type': 'text/plain;charset=UTF-8' }, ingest],
      ['/v1/ingest', { 'content-type': 'application/x-www-form-urlencoded' }, `a=${encodeURIComponent(ingest)}`],
      [
        '/v1/search/audio?collection=x',
        { 'content-type': 'multipart/form-data; boundary=b' },
        '--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n\r\nRIFF\r\n--b--\r\n',
      ],
      // A body-less `fetch(url, {method: 'POST', mode: 'no-cors'})`: a rollback, were it served.
      [`/v1/collections/${collection}/snapshots/1/activate`, {}, undefined],
      [`/v1/collections/${collection}/reindex`, { 'content-type': 'text/plain' }, '{"mode":"all"}'],
    ];
    for (const [route, headers, body] of refused) {
      const answer = await send(api.api.url, 'POST', route, { host, ...headers }, body);
      expect([answer.status, answer.code], `${route} ${JSON.stringify(headers)}`).toEqual([415, 'UNSAFE_CONTENT_TYPE']);
    }
    // Nothing of the refused ingest reached Redis: the collection does not exist.
    expect((await send(api.api.url, 'GET', `/v1/collections/${collection}`, { host })).status).toBe(404);

    // What the CLI and the search page send passes the guard (and is answered by the route).
    const json = await send(api.api.url, 'POST', '/v1/ingest', { host, 'content-type': 'application/json' }, ingest);
    expect(json.status).toBe(202);
    const raw = await send(
      api.api.url,
      'POST',
      '/v1/search/audio?collection=none-here',
      { host, 'content-type': 'application/octet-stream' },
      Buffer.from('RIFF'),
    );
    expect(raw.code).not.toBe('UNSAFE_CONTENT_TYPE');
    const multipart = await send(
      api.api.url,
      'POST',
      '/v1/search/audio?collection=none-here',
      { host, 'content-type': 'multipart/form-data; boundary=b', 'x-requested-with': 'audio-index' },
      '--b\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\nContent-Type: audio/wav\r\n\r\nRIFF\r\n--b--\r\n',
    );
    expect(multipart.code).not.toBe('UNSAFE_CONTENT_TYPE');
    expect(multipart.status).toBe(404);
    const activate = await send(api.api.url, 'POST', `/v1/collections/${collection}/snapshots/1/activate`, { host, 'content-type': 'application/json' }, '{}');
    expect(activate.code).not.toBe('UNSAFE_CONTENT_TYPE');
  });

  it('the search page keeps the API key in sessionStorage, never localStorage', async () => {
    const page = await send(api.api.url, 'GET', '/', { host: `localhost:${port}` });
    expect(page.status).toBe(200);
    const script = page.body;
    expect(script).toContain("id === 'apiKey' ? sessionStorage : localStorage");
    // Any key an earlier page left on disk is removed.
    expect(script).toContain("localStorage.removeItem('audio-index.apiKey')");
    expect(script).not.toMatch(/localStorage\.setItem\([^)]*apiKey/);
  });
});
