import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { findFreePort } from '../harness/local-redis-server.ts';

/**
 * api, worker and indexer as separate `node --import tsx apps/<app>/src/main.ts` processes, as
 * production runs them, so a test can kill -9 one and see whether anything else notices.
 * Nothing here imports vitest: bench/ scripts use it too.
 */
const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const OUTPUT_TAIL_CHARS = 40_000;

export type AppName = 'api' | 'worker' | 'indexer';

export interface AppProcess {
  readonly app: AppName;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Set for the api: its base URL. */
  readonly url?: string;
  readonly running: boolean;
  /** The exit code or signal once it ended; `undefined` while running. */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** Whether a kill came from the test (then an exit is expected, not a crash). */
  readonly killedOnPurpose: boolean;
  output(): string;
  /** Every whole output line holding one of the `keepLines` texts given at start, however old. */
  keptLines(): string[];
  /** Resolves when the output so far contains `text`; rejects if the process exits first. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export { findFreePort } from '../harness/local-redis-server.ts';

/**
 * Starts one app and waits until it is ready: the api answers /healthz, the worker and the
 * indexer log that they started (LOG_LEVEL is raised to at least `info` for that).
 */
export async function startApp(app: AppName, env: Record<string, string>, readyTimeoutMs = 60_000, keepLines: string[] = []): Promise<AppProcess> {
  const port = app === 'api' ? Number(env.PORT && env.PORT !== '0' ? env.PORT : await findFreePort()) : undefined;
  const childEnv: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    ...env,
    LOG_LEVEL: env.LOG_LEVEL === 'debug' || env.LOG_LEVEL === 'trace' ? env.LOG_LEVEL : 'info',
    ...(port === undefined ? {} : { PORT: String(port), HOST: '127.0.0.1' }),
  };
  const main = path.join(repositoryRoot, `apps/${app}/src/main.ts`);
  // setpriv --pdeathsig: the kernel kills the app if the test runner dies before teardown.
  const args = ['--import', 'tsx', main];
  const [file, argv] = existsSync('/usr/bin/setpriv')
    ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', process.execPath, ...args]]
    : [process.execPath, args];
  const child = spawn(file, argv, { cwd: repositoryRoot, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let printed = '';
  let partialLine = '';
  const kept: string[] = [];
  let exit: AppProcess['exit'];
  let killedOnPurpose = false;
  const listeners = new Set<() => void>();
  const append = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    printed = (printed + text).slice(-OUTPUT_TAIL_CHARS);
    if (keepLines.length > 0) {
      const lines = (partialLine + text).split('\n');
      partialLine = lines.pop() ?? '';
      for (const line of lines) if (keepLines.some((wanted) => line.includes(wanted))) kept.push(line);
    }
    for (const listener of listeners) listener();
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  const exited = once(child, 'exit').then(([code, signal]) => {
    exit = { code: code as number | null, signal: signal as NodeJS.Signals | null };
    for (const listener of listeners) listener();
  });
  const waitForOutput = (text: string, timeoutMs = readyTimeoutMs) =>
    new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => finish(new Error(`${app} printed no "${text}" within ${timeoutMs} ms:\n${printed.slice(-3000)}`)), timeoutMs);
      const check = () => {
        if (printed.includes(text)) finish();
        else if (exit) finish(new Error(`${app} exited (${exit.code ?? exit.signal}) before printing "${text}":\n${printed.slice(-3000)}`));
      };
      const finish = (error?: Error) => {
        clearTimeout(timer);
        listeners.delete(check);
        if (error) reject(error);
        else resolve();
      };
      listeners.add(check);
      check();
    });
  const processHandle: AppProcess = {
    app,
    child,
    pid: child.pid ?? -1,
    ...(port === undefined ? {} : { url: `http://127.0.0.1:${port}` }),
    get running() {
      return exit === undefined;
    },
    get exit() {
      return exit;
    },
    get killedOnPurpose() {
      return killedOnPurpose;
    },
    output: () => printed,
    keptLines: () => [...kept],
    waitForOutput,
    async kill(signal = 'SIGKILL') {
      if (exit) return;
      killedOnPurpose = true;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(timer);
    },
  };
  try {
    if (app === 'api') await waitForHealth(processHandle, readyTimeoutMs);
    else await waitForOutput(app === 'worker' ? '"msg":"worker started"' : '"msg":"indexer started"');
  } catch (error) {
    await processHandle.kill();
    throw error;
  }
  return processHandle;
}

async function waitForHealth(api: AppProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!api.running) throw new Error(`api exited (${api.exit?.code ?? api.exit?.signal}) before answering /healthz:\n${api.output().slice(-3000)}`);
    try {
      const response = await fetch(`${api.url}/healthz`, { signal: AbortSignal.timeout(1_000) });
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`api did not answer /healthz within ${timeoutMs} ms:\n${api.output().slice(-3000)}`);
}

export interface HttpAnswer<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** A JSON client for one API base URL, with a bearer key unless `auth: false`. */
export function apiClient(baseUrl: () => string, key: string | undefined) {
  return async function call<T = unknown>(
    method: string,
    route: string,
    options: { body?: unknown; headers?: Record<string, string>; auth?: boolean; timeoutMs?: number } = {},
  ): Promise<HttpAnswer<T>> {
    const { body, auth = true } = options;
    const raw = body === undefined || typeof body === 'string' || Buffer.isBuffer(body);
    const response = await fetch(`${baseUrl()}${route}`, {
      method,
      headers: {
        ...(body !== undefined && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}),
        ...(auth && key ? { authorization: `Bearer ${key}` } : {}),
        ...options.headers,
      },
      body: (raw ? body : JSON.stringify(body)) as string | Buffer | undefined,
      signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers };
  };
}

export type ApiCall = ReturnType<typeof apiClient>;

/** Processes that ended without the test asking: each is a crash. */
export function crashedApps(processes: readonly AppProcess[]): string[] {
  return processes
    .filter((app) => !app.running && !app.killedOnPurpose)
    .map((app) => `${app.app} pid ${app.pid} exited ${app.exit?.code ?? app.exit?.signal}:\n${app.output().slice(-2000)}`);
}
