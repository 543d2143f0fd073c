import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Route = (request: http.IncomingMessage, response: http.ServerResponse, hit: number) => void;

export interface ScriptedHttpServer {
  /** e.g. http://127.0.0.2:40123 */
  readonly origin: string;
  readonly port: number;
  url(path: string): string;
  /** Requests each path received so far. */
  hits(path: string): number;
  close(): Promise<void>;
}

/**
 * A real HTTP server whose every path behaves as a test scripts it (status codes, redirects,
 * bodies that lie, bodies that never end). `host` lets a test put it on an address its
 * worker's address policy allows (127.0.0.2) while the targets it must refuse (127.0.0.1)
 * stay refused.
 */
export async function startScriptedHttpServer(host: string, routes: Record<string, Route>): Promise<ScriptedHttpServer> {
  const counts = new Map<string, number>();
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0]!;
    const hit = (counts.get(path) ?? 0) + 1;
    counts.set(path, hit);
    const route = routes[path];
    if (route) route(request, response, hit);
    else response.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const port = (server.address() as AddressInfo).port;
  const origin = `http://${host}:${port}`;
  return {
    origin,
    port,
    url: (path) => `${origin}${path}`,
    hits: (path) => counts.get(path) ?? 0,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
