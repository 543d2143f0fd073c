import { pino, type Logger } from 'pino';

export type { Logger };

/** One structured JSON logger per process; `service` tells api/worker/indexer lines apart. */
export function createLogger(service: string, level: string = 'info'): Logger {
  return pino({ name: service, level, base: { service } });
}
