import { setTimeout as sleep } from 'node:timers/promises';
import { snapshotLayout, type ObjectStore } from '@audio-index/shared';
import type { CollectionState } from './collection-state.ts';
import { LostLeadershipError } from './lost-leadership-error.ts';
import { newCommitId, type BatchCredit, type CommitExtras, type CommitOutcome, type SnapshotCommit } from './snapshot-commit.ts';
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
  /** True once the leader is stopping: an unanswered commit is then left to the next leader. */
  stopping?: () => boolean;
  /** Told about each commit attempt that got no answer (logging). */
  onCommitRetry?: (error: unknown, attempt: number) => void;
}

const COMMIT_RETRY_FIRST_MS = 100;
const COMMIT_RETRY_MAX_MS = 5_000;

/**
 * One publish up to the commit: write the pending changes under a fresh version, then commit
 * that version and ack `entryIds` in one fenced step (snapshot-commit.ts), then adopt it into
 * the state. With nothing to write it only acks. The caller then points LATEST at it.
 *
 * A commit that fails without an answer may have run (the reply was lost). It is sent again,
 * the same commit with the same id, until Redis answers: the script recognises its own id, so
 * the entries are acked and credited once and the version is the one written here. Writing a
 * new version instead would commit the same entries twice and credit their batches twice.
 */
export async function publishAndCommit(step: PublishStep): Promise<WrittenSnapshot | undefined> {
  const { store, commit, state } = step;
  const written =
    state.hasPendingChanges && state.model
      ? await writeSnapshot(store, state, await unusedVersion(store, commit, state), step.streamOffset, step.fence)
      : undefined;
  const version = written?.manifest.version ?? 0;
  const commitId = newCommitId(step.fence, version);
  const outcome = await commitUntilAnswered(step, () => commit.commit(step.lockToken, version, step.entryIds, step.credits, step.extras, commitId));
  if (outcome === 'fenced') throw new LostLeadershipError();
  if (outcome !== 'committed' && outcome !== 'replayed') throw new Error(`commit of version ${version} refused: ${outcome}`);
  if (written) markPublished(state, written);
  return written;
}

async function commitUntilAnswered(step: PublishStep, send: () => Promise<CommitOutcome>): Promise<CommitOutcome> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await send();
    } catch (error) {
      if (step.stopping?.()) throw error;
      step.onCommitRetry?.(error, attempt);
      await sleep(Math.min(COMMIT_RETRY_MAX_MS, COMMIT_RETRY_FIRST_MS * 2 ** Math.min(attempt - 1, 10)));
    }
  }
}

/**
 * A version whose manifest is not in the store yet. Redis hands out versions, but a Redis that
 * lost its last second of writes (AOF `everysec`) hands out again numbers whose manifests were
 * written (and even served) before the loss; writing one of those would overwrite an
 * immutable manifest that an API may be serving. The store cannot refuse an overwrite (s3rver
 * ignores If-None-Match), so look first and move past every version already there.
 */
export async function unusedVersion(store: ObjectStore, commit: SnapshotCommit, state: CollectionState): Promise<number> {
  let version = await commit.allocateVersion(state.version);
  while ((await store.get(snapshotLayout.manifest(state.collection, version))) !== undefined) {
    version = await commit.allocateVersion(version);
  }
  return version;
}
