import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** A real process of the system (any entry point) whose output and exit a test watches. */
export interface SignalledProcess {
  readonly child: ChildProcess;
  output(): string;
  /** Lines that parse as JSON log records. */
  logLines(): Record<string, unknown>[];
  waitForOutput(text: string, timeoutMs: number): Promise<void>;
  /** Resolves with the exit once the process ends; `elapsedMs` counts from `sentAt`. */
  exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  stop(): Promise<void>;
}

/** `node --import tsx <entry> ...args`, from the repository root, with only `env` (plus PATH, HOME). */
export function spawnEntry(entry: string, args: string[], env: Record<string, string>): SignalledProcess {
  const nodeArgs = entry.endsWith('.js') ? [path.join(repositoryRoot, entry), ...args] : ['--import', 'tsx', path.join(repositoryRoot, entry), ...args];
  // setpriv --pdeathsig: the kernel kills the process if the test runner dies first.
  const [file, argv] = existsSync('/usr/bin/setpriv')
    ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', process.execPath, ...nodeArgs]]
    : [process.execPath, nodeArgs];
  const child = spawn(file, argv, {
    cwd: repositoryRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let printed = '';
  child.stdout.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  child.stderr.on('data', (chunk: Buffer) => (printed += chunk.toString('utf8')));
  const exit = once(child, 'exit').then(([code, signal]) => ({ code: code as number | null, signal: signal as NodeJS.Signals | null, at: Date.now() }));
  return {
    child,
    output: () => printed,
    logLines: () =>
      printed
        .split('\n')
        .filter((line) => line.startsWith('{'))
        .map((line) => {
          try {
            return JSON.parse(line) as Record<string, unknown>;
          } catch {
            return {};
          }
        }),
    async waitForOutput(text, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!printed.includes(text)) {
        if (child.exitCode !== null || child.signalCode !== null) throw new Error(`${entry} exited before printing "${text}":\n${printed.slice(-3000)}`);
        if (Date.now() > deadline) throw new Error(`${entry} printed no "${text}" within ${timeoutMs} ms:\n${printed.slice(-3000)}`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
    exited: () => exit,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exit;
    },
  };
}
