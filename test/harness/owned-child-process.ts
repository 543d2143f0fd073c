import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';

const SETPRIV_PATHS = ['/usr/bin/setpriv', '/bin/setpriv'];
const GRACEFUL_STOP_MS = 5_000;

/**
 * Spawns a service process that dies with the test runner. Teardown is not called when vitest
 * is killed (Ctrl-C twice, CI timeout, kill -9), and an orphaned redis-server would keep its
 * port and temp dir forever; `setpriv --pdeathsig` makes the kernel send SIGTERM when we die.
 * setpriv execs the command, so the pid we hold is the service's own.
 */
export function spawnOwnedChild(command: string, args: readonly string[]): ChildProcess {
  const setpriv = process.platform === 'linux' ? SETPRIV_PATHS.find((path) => existsSync(path)) : undefined;
  const [file, argv] = setpriv ? [setpriv, ['--pdeathsig', 'TERM', '--', command, ...args]] : [command, [...args]];
  return spawn(file, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
}

export function hasExited(child: ChildProcess): boolean {
  return child.exitCode !== null || child.signalCode !== null;
}

export async function stopChild(child: ChildProcess): Promise<void> {
  // No pid: spawning itself failed (e.g. ENOENT), and no 'exit' will ever come.
  if (child.pid === undefined || hasExited(child)) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), GRACEFUL_STOP_MS);
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}

/** Keeps the last few KB of a child's output so a failed start can say why. */
export function captureOutputTail(child: ChildProcess, maxChars = 4_000): () => string {
  let tail = '';
  const append = (chunk: Buffer) => {
    tail = (tail + chunk.toString('utf8')).slice(-maxChars);
  };
  child.stdout?.on('data', append);
  child.stderr?.on('data', append);
  return () => tail.trim();
}
