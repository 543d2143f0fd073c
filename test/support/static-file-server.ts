import { createReadStream } from 'node:fs';
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface StaticFileServer {
  /** http://127.0.0.1:<port> */
  url: string;
  urlOf(file: string): string;
  close(): Promise<void>;
}

/** Serves the files of one directory on loopback, as an archive's web server would. */
export async function serveDirectory(directory: string): Promise<StaticFileServer> {
  const server = http.createServer(async (request, response) => {
    const name = decodeURIComponent((request.url ?? '/').split('?')[0]!.slice(1));
    const file = path.join(directory, path.basename(name));
    try {
      const stat = await fs.stat(file);
      response.writeHead(200, { 'content-length': stat.size, 'content-type': 'application/octet-stream' });
      createReadStream(file).pipe(response);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    urlOf: (file) => `${url}/${encodeURIComponent(path.basename(file))}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
