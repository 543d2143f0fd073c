import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { captureOutputTail, hasExited } from '../../harness/owned-child-process.ts';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const indexerMain = path.join(repoRoot, 'apps/indexer/src/main.ts');

/** One `node apps/indexer/src/main.ts` process, as production runs it; kill -9 is the point. */
export class IndexerProcess {
  private readonly child: ChildProcess;
  readonly output: () => string;

  constructor(env: Record<string, string>) {
    // setpriv --pdeathsig: the kernel kills the indexer if the test runner dies first.
    const args = ['--import', 'tsx', indexerMain];
    const [file, argv] = existsSync('/usr/bin/setpriv')
      ? ['/usr/bin/setpriv', ['--pdeathsig', 'KILL', '--', process.execPath, ...args]]
      : [process.execPath, args];
    this.child = spawn(file, argv, { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    this.output = captureOutputTail(this.child, 20_000);
    this.child.stdout?.on('data', (chunk: Buffer) => {
      // Needs LOG_LEVEL=info; the JSON log line of collection-indexer.ts.
      if (chunk.toString('utf8').includes('"msg":"became indexer leader"')) this.becameLeader = true;
    });
  }

  /** Whether it logged taking the leader lock (only with LOG_LEVEL=info or lower). */
  becameLeader = false;

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return !hasExited(this.child);
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.running) return;
    const exited = once(this.child, 'exit');
    this.child.kill(signal);
    await exited;
  }
}
