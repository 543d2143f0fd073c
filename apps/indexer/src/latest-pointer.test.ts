import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalDirectoryStore, readLatestVersion, snapshotLayout } from '@audio-index/shared';
import { pointLatestAt, repairLatest } from './latest-pointer.ts';

describe('LATEST repair', () => {
  const directories: string[] = [];
  afterAll(async () => {
    for (const directory of directories) await fs.rm(directory, { recursive: true, force: true });
  });

  async function freshStore(): Promise<LocalDirectoryStore> {
    const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'latest-'));
    directories.push(directory);
    return new LocalDirectoryStore(directory);
  }

  it('puts back the committed version after a deposed leader set LATEST back', async () => {
    const store = await freshStore();
    await pointLatestAt(store, 'c', 7);
    expect(await repairLatest(store, 'c', 7)).toBe(false);
    await pointLatestAt(store, 'c', 5); // the stale write
    expect(await repairLatest(store, 'c', 7)).toBe(true);
    expect(await readLatestVersion(store, 'c')).toBe(7);
  });

  it('rewrites a torn LATEST (a writer killed mid-PUT on a store without atomic PUTs)', async () => {
    const store = await freshStore();
    await store.put(snapshotLayout.latest('c'), '{"vers');
    expect(await repairLatest(store, 'c', 3)).toBe(true);
    expect(await readLatestVersion(store, 'c')).toBe(3);
  });
});
