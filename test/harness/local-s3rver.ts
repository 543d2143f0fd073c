import type { ChildProcess } from 'node:child_process';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { RunningService } from './running-service.ts';
import { makeRunnerTempDir } from './runner-temp-dirs.ts';
import type { TestS3Config } from './provided-services.ts';
import { captureOutputTail, spawnOwnedChild, stopChild } from './owned-child-process.ts';

const READY_TIMEOUT_MS = 15_000;
const LISTENING_LINE = /S3rver listening on (\S+):(\d+)/;

/**
 * s3rver runs in its own Node process: it hashes and writes every body on the JS thread, and a
 * 6 MB upload sharing the test runner's event loop would stall the timers tests depend on.
 * Port 0 lets the kernel pick; s3rver prints the port it got, so no port race.
 */
export async function startLocalS3rver(): Promise<RunningService<TestS3Config>> {
  const dataDir = await makeRunnerTempDir('s3rver');
  const s3rverCli = createRequire(import.meta.url).resolve('s3rver/bin/s3rver.js');
  const child = spawnOwnedChild(process.execPath, [s3rverCli, '--directory', dataDir, '--address', '127.0.0.1', '--port', '0', '--silent']);
  const outputTail = captureOutputTail(child);
  try {
    const port = await waitForListeningPort(child);
    return {
      connection: {
        endpoint: `http://127.0.0.1:${port}`,
        region: 'us-east-1',
        // s3rver only accepts signatures made with these.
        accessKeyId: 'S3RVER',
        secretAccessKey: 'S3RVER',
        forcePathStyle: true,
      },
      description: `s3rver pid ${child.pid} on 127.0.0.1:${port}`,
      stop: async () => {
        await stopChild(child);
        await rm(dataDir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await stopChild(child);
    await rm(dataDir, { recursive: true, force: true });
    throw new Error(`s3rver did not start: ${outputTail() || String(error)}`, { cause: error });
  }
}

function waitForListeningPort(child: ChildProcess): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    let printed = '';
    const settle = (outcome: () => void) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      child.off('error', onError);
      outcome();
    };
    const timer = setTimeout(() => settle(() => reject(new Error(`no listening line within ${READY_TIMEOUT_MS} ms`))), READY_TIMEOUT_MS);
    const onData = (chunk: Buffer) => {
      printed += chunk.toString('utf8');
      const match = LISTENING_LINE.exec(printed);
      if (match) settle(() => resolve(Number(match[2])));
    };
    const onExit = () => settle(() => reject(new Error('s3rver exited before listening')));
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
    const onError = (error: Error) => settle(() => reject(error));
    child.once('error', onError);
  });
}
