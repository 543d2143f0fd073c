import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `condition` until it holds; the failure message carries `context()` (e.g. a process's output). */
export async function waitFor(condition: () => Promise<boolean>, timeoutMs: number, context: () => string = () => ''): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms\n${context()}`);
    await sleep(100);
  }
}
