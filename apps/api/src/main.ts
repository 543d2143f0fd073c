import { loadApiConfig } from './env.ts';
import { startApi } from './start-api.ts';

const api = await startApi(loadApiConfig());
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void api.stop().then(() => process.exit(0));
  });
}
