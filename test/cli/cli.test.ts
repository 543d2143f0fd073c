import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSampleClips, type SampleClip } from '../../scripts/sample-audio.ts';
import { closeAll, createTestBucket, uniqueName } from '../harness/test-services.ts';
import { startSystem, type RunningSystem } from '../support/running-system.ts';

const run = promisify(execFile);
const cliPath = path.resolve('apps/cli/bin/audio-index.js');

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

describe('audio-index CLI against a running system', () => {
  const collection = uniqueName('cli');
  let clipDirectory: string;
  let clips: SampleClip[];
  let system: RunningSystem;

  beforeAll(async () => {
    clipDirectory = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'cli-clips-')));
    clips = await writeSampleClips(path.join(clipDirectory, 'archive'), 6);
    fs.writeFileSync(path.join(clipDirectory, 'archive', 'notes.txt'), 'not audio, and not picked up by the directory walk');
    const { bucket } = await createTestBucket('cli');
    system = await startSystem({ bucket, env: { FILE_ROOT: clipDirectory, API_KEYS: 'cli-test-key' } });
  });

  afterAll(async () => {
    await system?.stop();
    await closeAll();
    fs.rmSync(clipDirectory, { recursive: true, force: true });
  });

  async function cli(...args: string[]): Promise<CliRun> {
    try {
      const { stdout, stderr } = await run('node', [cliPath, '--api', system.api.url, '--key', 'cli-test-key', ...args], { timeout: 120_000 });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code: number; stdout: string; stderr: string };
      return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
    }
  }

  it('ingests a directory with --wait, then ranks a file first for itself', async () => {
    const ingest = await cli('--json', 'ingest', path.join(clipDirectory, 'archive'), '--collection', collection, '--wait');
    expect(ingest.stderr).toBe('');
    expect(ingest.code).toBe(0);
    const summary = JSON.parse(ingest.stdout) as { total: number; indexed: number; failed: number; batchIds: string[] };
    expect(summary).toMatchObject({ total: clips.length, indexed: clips.length, failed: 0 });

    const target = clips[2]!;
    const search = await cli('search', pathToFileURL(target.file).href, '--collection', collection, '-k', '3');
    expect(search.code).toBe(0);
    const firstRow = search.stdout.split('\n')[3]!;
    expect(firstRow).toMatch(new RegExp(`^1\\s+(0\\.99\\d\\d|1\\.0000)\\s+${path.basename(target.file).replace('.', '\\.')}`));
    // The match column: the clip matches itself from its start, as mm:ss–mm:ss (or –end for a row without times).
    expect(search.stdout.split('\n')[1]).toMatch(/^rank\s+score\s+id\s+match\s+url$/);
    expect(firstRow).toMatch(/\s00:00–(\d\d:\d\d|end)\s+file:\/\//);

    const status = await cli('--json', 'status', summary.batchIds[0]!);
    expect(status.code).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ state: 'done', indexed: clips.length });
  });

  it('exits with meaningful codes', async () => {
    expect((await cli('ingest', path.join(clipDirectory, 'does-not-exist'))).code).toBe(1);
    expect((await cli('search')).code).toBe(1);
    const unknownBatch = await cli('--json', 'status', 'b-unknown');
    expect(unknownBatch.code).toBe(2);
    expect(JSON.parse(unknownBatch.stdout)).toMatchObject({ error: { code: 'BATCH_NOT_FOUND' } });
    const wrongKey = await run('node', [cliPath, '--api', system.api.url, '--key', 'wrong', 'status', 'x']).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(wrongKey).toMatchObject({ code: 6 }); // unauthorized (apps/cli/src/exit-codes.ts)
    expect((wrongKey as { stderr: string }).stderr).toContain('UNAUTHORIZED');
  });

  it('reports failed items with exit code 3', async () => {
    const list = path.join(clipDirectory, 'urls.txt');
    fs.writeFileSync(list, `# one good, one missing\n${pathToFileURL(clips[0]!.file).href}\n${pathToFileURL(path.join(clipDirectory, 'missing.wav')).href}\n`);
    const result = await cli('ingest', list, '--collection', collection, '--wait');
    expect(result.code).toBe(3);
    expect(result.stdout).toContain('FETCH_NOT_FOUND');
  });
});
