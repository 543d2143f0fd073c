import { composeApi } from './compose-api.ts';
import type { ApiConfig } from './env.ts';

export interface RunningApi {
  /** Base URL, e.g. http://127.0.0.1:8080 */
  url: string;
  stop(): Promise<void>;
}

export async function startApi(config: ApiConfig): Promise<RunningApi> {
  const api = await composeApi(config);
  const { app } = api;
  // Listen first (health answers at once, /readyz says 503 until the snapshots are in).
  await app.listen({ port: config.server.port, host: config.server.host });
  await api.startSnapshots();
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const host = config.server.host.includes(':') ? `[${config.server.host}]` : config.server.host;
  return { url: `http://${host}:${port}`, stop: () => api.close() };
}
