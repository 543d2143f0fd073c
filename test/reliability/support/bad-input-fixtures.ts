import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { toneClip, wavBytes } from '../../worker/support/wav-audio.ts';
import { startScriptedHttpServer, type ScriptedHttpServer } from '../../worker/support/scripted-http-server.ts';

/**
 * The servers a bad-input corpus fetches from. The archive listens on 127.0.0.2, the one
 * private address the worker is allowed (FETCH_ALLOWED_NETWORKS), so it plays a public web
 * server; the "internal" server on 127.0.0.1 must never be reached.
 */
export const ARCHIVE_HOST = '127.0.0.2';
export const FETCH_MAX_BYTES = 300_000;

export interface BadInputServers {
  archive: ScriptedHttpServer;
  internal: ScriptedHttpServer;
  fileRoot: string;
  goodWav: Buffer;
  close(): Promise<void>;
}

/** A WAV header that says what the test wants (sample rate, data size) over real samples. */
export function wavWithHeader(samples: Float32Array, sampleRate: number, declaredDataBytes?: number): Buffer {
  const wav = wavBytes(samples, 16_000);
  wav.writeUInt32LE(sampleRate >>> 0, 24);
  wav.writeUInt32LE((sampleRate * 2) >>> 0, 28);
  if (declaredDataBytes !== undefined) wav.writeUInt32LE(declaredDataBytes >>> 0, 40);
  return wav;
}

export async function startBadInputServers(): Promise<BadInputServers> {
  const goodWav = wavBytes(toneClip(1, 1));
  const internal = await startScriptedHttpServer('127.0.0.1', {
    '/ok.wav': (_, response) => response.end(goodWav),
    '/latest/meta-data/': (_, response) => response.end('secret'),
  });
  const internalUrl = (route: string) => internal.url(route);
  const archive = await startScriptedHttpServer(ARCHIVE_HOST, {
    '/ok.wav': (_, response) => response.end(goodWav),
    '/ok-2.wav': (_, response) => response.end(wavBytes(toneClip(2, 1))),
    '/ok-3.wav': (_, response) => response.end(wavBytes(toneClip(3, 1))),
    '/always-500.wav': (_, response) => response.writeHead(500).end(),
    '/gone.wav': (_, response) => response.writeHead(410).end(),
    '/hangs.wav': () => undefined, // accepts, never answers: the total timeout ends it
    '/trickle.wav': (_, response) => {
      response.writeHead(200, { 'content-type': 'audio/wav' });
      const timer = setInterval(() => response.write(Buffer.of(0)), 100);
      response.once('close', () => clearInterval(timer));
    },
    '/zero-bytes.wav': (_, response) => response.end(),
    '/truncated.wav': (_, response) => response.end(goodWav.subarray(0, 40)),
    '/readme.wav': (_, response) => response.end('# not audio\n'.repeat(200)),
    '/random-bytes.wav': (_, response) => response.end(Buffer.from(Array.from({ length: 20_000 }, (_, index) => (index * 7919) % 256))),
    '/declared-enormous.wav': (_, response) => {
      response.writeHead(200, { 'content-length': String(50 * FETCH_MAX_BYTES) });
      response.write(goodWav.subarray(0, 1000));
    },
    '/streamed-enormous.wav': (_, response) => {
      response.writeHead(200, { 'content-type': 'audio/wav' });
      for (let sent = 0; sent <= 2 * FETCH_MAX_BYTES; sent += 50_000) response.write(Buffer.alloc(50_000, 1));
      response.end();
    },
    // 8 s at 8 kHz: small in bytes, longer than MAX_AUDIO_SECONDS=5.
    '/too-long.wav': (_, response) => response.end(wavBytes(toneClip(4, 8, 8_000), 8_000)),
    // 2,000 samples said to be at 100 Hz: 20 s of audio, past MAX_AUDIO_SECONDS.
    '/rate-100hz.wav': (_, response) => response.end(wavWithHeader(toneClip(5, 2_000 / 16_000), 100)),
    '/rate-zero.wav': (_, response) => response.end(wavWithHeader(toneClip(6, 0.5), 0)),
    '/silent.wav': (_, response) => response.end(wavBytes(new Float32Array(16_000))),
    '/redirect-loop': (_, response) => response.writeHead(302, { location: '/redirect-loop' }).end(),
    '/redirect-to-loopback': (_, response) => response.writeHead(302, { location: internalUrl('/ok.wav') }).end(),
    '/redirect-to-metadata': (_, response) => response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end(),
    '/redirect-to-ipv6-loopback': (_, response) => response.writeHead(307, { location: `http://[::1]:${internal.port}/ok.wav` }).end(),
    '/redirect-to-private': (_, response) => response.writeHead(301, { location: 'http://10.0.0.1/a.wav' }).end(),
    '/redirect-to-localhost': (_, response) => response.writeHead(302, { location: `http://localhost:${internal.port}/ok.wav` }).end(),
    '/redirect-to-file': (_, response) => response.writeHead(302, { location: 'file:///etc/passwd' }).end(),
  });
  const fileRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'reliability-file-root-'));
  fs.writeFileSync(path.join(fileRoot, 'inside.wav'), wavBytes(toneClip(7, 1)));
  fs.symlinkSync('/etc/passwd', path.join(fileRoot, 'escape.wav'));
  return {
    archive,
    internal,
    fileRoot,
    goodWav,
    async close() {
      await archive.close();
      await internal.close();
      fs.rmSync(fileRoot, { recursive: true, force: true });
    },
  };
}
