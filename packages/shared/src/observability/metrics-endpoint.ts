import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderDependencyMetrics } from '../health/dependency-metrics.ts';

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
 * The process's dependency gauges (redis, store up/down) follow the registry's metrics.
 */
export async function serveMetrics(registry: MetricsSource, port: number, host: string): Promise<MetricsEndpoint> {
  const server = http.createServer((request, response) => {
    if (request.method !== 'GET' || request.url?.split('?')[0] !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(withDependencyGauges(text, registry.contentType)),
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

/** Appended in the Prometheus text format only: an OpenMetrics body must end with its `# EOF`. */
function withDependencyGauges(text: string, contentType: string): string {
  if (!contentType.startsWith('text/plain')) return text;
  return `${text}${text.endsWith('\n') ? '' : '\n'}\n${renderDependencyMetrics()}`;
}
