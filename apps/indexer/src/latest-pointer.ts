import { readLatestVersion, snapshotLayout, UnreadableLatestPointerError, type ObjectStore } from '@audio-index/shared';

/**
 * LATEST follows the committed version in Redis (snapshot-commit.ts). It lags it after a
 * crash between commit and write, and a deposed leader that paused just before its own
 * write can set it back to an older committed version; both are repaired by writing the
 * committed version again. Every version LATEST can name is complete: its shards and
 * manifest were written before it was committed.
 */
export async function pointLatestAt(store: ObjectStore, collection: string, version: number): Promise<void> {
  await store.put(snapshotLayout.latest(collection), JSON.stringify({ version }));
}

/** Rewrites LATEST when it does not name `committedVersion`; returns whether it had to. */
export async function repairLatest(store: ObjectStore, collection: string, committedVersion: number): Promise<boolean> {
  const current = await readLatestVersion(store, collection).catch((error: unknown) => {
    // A writer killed in the middle of a PUT on a store without atomic PUTs (s3rver) leaves it torn.
    if (error instanceof UnreadableLatestPointerError) return undefined;
    throw error;
  });
  if (current === committedVersion) return false;
  await pointLatestAt(store, collection, committedVersion);
  return true;
}
