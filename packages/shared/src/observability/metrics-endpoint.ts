import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** What a prom-client Registry offers an HTTP endpoint (kept structural: shared does not depend on prom-client). */
export interface MetricsSource {
  readonly contentType: string;
  metrics(): Promise<string>;
}

export interface MetricsEndpoint {
  readonly port: number;
  close(): Promise<void>;
}

/**
 * `GET /metrics` on a port of its own, for processes without an HTTP server (worker,
 * indexer): Prometheus scrapes each process, and the API's /metrics covers only the API's.
 */
export async function serveMetrics(registry: MetricsSource, port: number, host: string): Promise<MetricsEndpoint> {
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
