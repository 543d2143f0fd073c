import type { ObjectStore } from '@audio-index/shared';
import type { CollectionState } from './collection-state.ts';
import { LostLeadershipError } from './lost-leadership-error.ts';
import type { BatchCredit, CommitExtras, SnapshotCommit } from './snapshot-commit.ts';
import { markPublished, writeSnapshot, type WrittenSnapshot } from './snapshot-publisher.ts';

export interface PublishStep {
  store: ObjectStore;
  commit: SnapshotCommit;
  state: CollectionState;
  lockToken: string;
  fence: number;
  streamOffset: string;
  entryIds: readonly string[];
  credits: ReadonlyMap<string, BatchCredit>;
  extras?: CommitExtras;
}

/**
 * One publish up to the commit: write the pending changes under a fresh version, then commit
 * that version and ack `entryIds` in one fenced step (snapshot-commit.ts), then adopt it into
 * the state. With nothing to write it only acks. The caller then points LATEST at it.
 */
export async function publishAndCommit(step: PublishStep): Promise<WrittenSnapshot | undefined> {
  const { store, commit, state } = step;
  const written =
    state.hasPendingChanges && state.model
      ? await writeSnapshot(store, state, await commit.allocateVersion(state.version), step.streamOffset, step.fence)
      : undefined;
  const outcome = await commit.commit(step.lockToken, written?.manifest.version ?? 0, step.entryIds, step.credits, step.extras);
  if (outcome === 'fenced') throw new LostLeadershipError();
  if (outcome !== 'committed') throw new Error(`commit of version ${written?.manifest.version} refused: ${outcome}`);
  if (written) markPublished(state, written);
  return written;
}
