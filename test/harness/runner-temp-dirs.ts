import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DIR_PREFIX = 'test-services-';
const OWNED_DIR = /^test-services-[a-z0-9]+-(\d+)-/;

/**
 * The owning runner's pid is part of the name: a runner killed before teardown cannot delete its
 * dirs, and the next run can only tell an orphan from a concurrent run's dir by that pid.
 */
export function makeRunnerTempDir(service: string): Promise<string> {
  return mkdtemp(join(tmpdir(), `${DIR_PREFIX}${service}-${process.pid}-`));
}

export async function removeTempDirsOfDeadRunners(): Promise<void> {
  const entries = await readdir(tmpdir());
  await Promise.all(
    entries.map(async (entry) => {
      const ownerPid = OWNED_DIR.exec(entry)?.[1];
      if (ownerPid === undefined || isAlive(Number(ownerPid))) return;
      await rm(join(tmpdir(), entry), { recursive: true, force: true });
    }),
  );
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: alive but someone else's. Only ESRCH says the process is gone.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
