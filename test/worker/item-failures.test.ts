import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ItemFailure } from '@audio-index/shared';
import { closeAll, uniqueName } from '../harness/test-services.ts';
import { startScriptedHttpServer, type ScriptedHttpServer } from './support/scripted-http-server.ts';
import { toneClip, wavBytes } from './support/wav-audio.ts';
import { startWorkerUnderTest, workerTestEnv, type WorkerUnderTest } from './support/worker-harness.ts';

/**
 * Every per-item error code, produced by a real worker against real local HTTP servers and
 * real Redis. The worker refuses private networks, as in production, except 127.0.0.2: the
 * archive server lives there, so it is the "public-looking" first hop, while 127.0.0.1,
 * ::1, localhost and the like stay refused.
 */
const ARCHIVE_HOST = '127.0.0.2';
const MAX_BYTES = 200_000;

describe('a worker records each failure with a stable code, message and attempts', () => {
  const collection = uniqueName('failures');
  const goodWav = wavBytes(toneClip(1, 1));
  let archive: ScriptedHttpServer;
  let loopback: ScriptedHttpServer;
  let system: WorkerUnderTest;
  let appeared = false;

  beforeAll(async () => {
    loopback = await startScriptedHttpServer('127.0.0.1', { '/ok.wav': (_, response) => response.end(goodWav) });
    archive = await startScriptedHttpServer(ARCHIVE_HOST, {
      '/ok.wav': (_, response) => response.end(goodWav),
      '/gone': (_, response) => response.writeHead(410).end(),
      '/text.txt': (_, response) => response.end('this is a README, not a recording\n'.repeat(20)),
      '/truncated.wav': (_, response) => response.end(goodWav.subarray(0, 30)),
      '/empty.wav': (_, response) => response.end(),
      '/silent.wav': (_, response) => response.end(wavBytes(new Float32Array(32_000))),
      // 8 s at 8 kHz fits the byte cap but not MAX_AUDIO_SECONDS=5.
      '/long.wav': (_, response) => response.end(wavBytes(toneClip(2, 8, 8_000), 8_000)),
      '/declared-large.wav': (_, response) => {
        response.writeHead(200, { 'content-length': String(10 * MAX_BYTES) });
        response.write(goodWav.subarray(0, 1000));
      },
      '/streamed-large.wav': (_, response) => {
        // Chunked, no Content-Length: only counting the bytes catches it.
        response.writeHead(200, { 'content-type': 'audio/wav' });
        for (let sent = 0; sent <= MAX_BYTES; sent += 50_000) response.write(Buffer.alloc(50_000, 1));
        response.end();
      },
      '/redirect-loop': (_, response) => response.writeHead(302, { location: '/redirect-loop' }).end(),
      '/redirect-ok': (_, response) => response.writeHead(301, { location: '/ok.wav' }).end(),
      '/redirect-to-loopback': (_, response) => response.writeHead(302, { location: loopback.url('/ok.wav') }).end(),
      '/trickle.wav': (_, response) => {
        response.writeHead(200, { 'content-type': 'audio/wav' });
        const timer = setInterval(() => response.write(Buffer.of(0)), 100);
        response.once('close', () => clearInterval(timer));
      },
      '/flaky.wav': (_, response, hit) => (hit <= 2 ? response.writeHead(503).end() : response.end(goodWav)),
      '/always-500.wav': (_, response) => response.writeHead(500).end(),
      '/appears-later.wav': (_, response) => (appeared ? response.end(goodWav) : response.writeHead(404).end()),
    });
    system = await startWorkerUnderTest(
      workerTestEnv({
        ALLOW_PRIVATE_NETWORKS: 'false',
        FETCH_ALLOWED_NETWORKS: `${ARCHIVE_HOST}/32`,
        FETCH_MAX_BYTES: String(MAX_BYTES),
        FETCH_CONNECT_TIMEOUT_MS: '1000',
        FETCH_TOTAL_TIMEOUT_MS: '1500',
        FETCH_MAX_REDIRECTS: '3',
        MAX_AUDIO_SECONDS: '5',
        WORKER_CONCURRENCY: '16',
      }),
    );
  });

  afterAll(async () => {
    await system?.stop();
    await archive?.close();
    await loopback?.close();
    await closeAll();
  });

  it('refuses, fails or retries every kind of bad item, and embeds the good ones', async () => {
    const port = loopback.port;
    const items = {
      ok: archive.url('/ok.wav'),
      'redirect-ok': archive.url('/redirect-ok'),
      flaky: archive.url('/flaky.wav'),
      'not-found': archive.url('/missing.wav'),
      gone: archive.url('/gone'),
      'literal-loopback': loopback.url('/ok.wav'),
      'literal-private': 'http://10.1.2.3/a.wav',
      'literal-metadata': 'http://169.254.169.254/latest/meta-data/',
      'literal-ipv6-loopback': `http://[::1]:${port}/ok.wav`,
      'ipv4-mapped-ipv6': `http://[::ffff:127.0.0.1]:${port}/ok.wav`,
      'name-resolving-to-loopback': `http://localhost:${port}/ok.wav`,
      'redirect-to-loopback': archive.url('/redirect-to-loopback'),
      'declared-large': archive.url('/declared-large.wav'),
      'streamed-large': archive.url('/streamed-large.wav'),
      long: archive.url('/long.wav'),
      text: archive.url('/text.txt'),
      truncated: archive.url('/truncated.wav'),
      empty: archive.url('/empty.wav'),
      silent: archive.url('/silent.wav'),
      ftp: 'ftp://example.org/a.wav',
      'file-without-root': 'file:///etc/hostname',
      'redirect-loop': archive.url('/redirect-loop'),
      trickle: archive.url('/trickle.wav'),
      'always-500': archive.url('/always-500.wav'),
    };
    const batchId = await system.submit(
      collection,
      Object.entries(items).map(([id, url]) => ({ id, url })),
    );
    const status = await system.waitForOutcomes(batchId);
    const failures = new Map(status.failures.map((failure) => [failure.id, failure]));
    const expectFailure = (id: keyof typeof items, code: string, attempts = 1) => {
      const failure: ItemFailure | undefined = failures.get(id);
      expect(failure, id).toMatchObject({ id, url: items[id], code, attempts });
      expect(failure!.message.length, id).toBeGreaterThan(0);
    };

    expect(status).toMatchObject({ total: 24, embedded: 3, failed: 21 });
    expect([...failures.keys()]).not.toContain('ok');
    expect(archive.hits('/flaky.wav')).toBe(3); // two 503s retried, then embedded

    expectFailure('not-found', 'FETCH_NOT_FOUND');
    expectFailure('gone', 'FETCH_NOT_FOUND');
    for (const id of [
      'literal-loopback',
      'literal-private',
      'literal-metadata',
      'literal-ipv6-loopback',
      'ipv4-mapped-ipv6',
      'name-resolving-to-loopback',
      'redirect-to-loopback',
    ] as const) {
      expectFailure(id, 'FETCH_FORBIDDEN_ADDRESS');
    }
    expect(loopback.hits('/ok.wav')).toBe(0); // refused before connecting, on every route there
    expectFailure('declared-large', 'TOO_LARGE');
    expectFailure('streamed-large', 'TOO_LARGE');
    expectFailure('long', 'TOO_LONG');
    expectFailure('text', 'NOT_AUDIO');
    expectFailure('truncated', 'NOT_AUDIO');
    expectFailure('empty', 'NOT_AUDIO');
    expectFailure('silent', 'SILENT_AUDIO');
    expectFailure('ftp', 'UNSUPPORTED_SCHEME');
    expectFailure('file-without-root', 'UNSUPPORTED_SCHEME');
    expectFailure('redirect-loop', 'FETCH_TOO_MANY_REDIRECTS');
    // Transient: retried with backoff, recorded once the last attempt failed too.
    expectFailure('trickle', 'FETCH_FAILED', 4);
    expectFailure('always-500', 'FETCH_FAILED', 4);
    expect(archive.hits('/always-500.wav')).toBe(4);
    expect(archive.hits('/redirect-loop')).toBe(4); // the first request and 3 redirects

    expect(await system.redis.xlen(system.keys.stream(collection))).toBe(3);
  });

  it('embeds an item re-submitted after it failed', async () => {
    const item = { id: 'appears-later', url: archive.url('/appears-later.wav') };
    const first = await system.waitForOutcomes(await system.submit(collection, [item]));
    expect(first).toMatchObject({ total: 1, embedded: 0, failed: 1 });
    expect(first.failures[0]).toMatchObject({ id: item.id, code: 'FETCH_NOT_FOUND', attempts: 1 });

    appeared = true;
    const second = await system.waitForOutcomes(await system.submit(collection, [item]));
    expect(second).toMatchObject({ total: 1, embedded: 1, failed: 0, failures: [] });
  });
});
