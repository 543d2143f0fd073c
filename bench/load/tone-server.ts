import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { toneClip, wavBytes } from '../../test/worker/support/wav-audio.ts';

/** Serves `/tone-<n>.wav`, a distinct short tone per n, made on request: 20,000 files need no disk. */
export async function startToneServer(seconds = 0.25): Promise<{ urlOf(n: number): string; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const match = /^\/tone-(\d+)\.wav$/.exec(request.url ?? '');
    if (!match) return void response.writeHead(404).end();
    const body = wavBytes(toneClip(Number(match[1]) + 1, seconds));
    response.writeHead(200, { 'content-type': 'audio/wav', 'content-length': body.length }).end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    urlOf: (n) => `${origin}/tone-${n}.wav`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function percentile(values: number[], share: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(share * sorted.length) - 1))]!;
}
