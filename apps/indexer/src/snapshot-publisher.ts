import { setTimeout as sleep } from 'node:timers/promises';
import { MANIFEST_FORMAT_VERSION, snapshotLayout, type Manifest, type ObjectStore, type ShardEntry, type ShardRow } from '@audio-index/shared';
import type { CollectionState } from './collection-state.ts';
import { pendingRowCount, type GenerationRows, type RowLocation } from './generation-rows.ts';
import { LostLeadershipError } from './lost-leadership-error.ts';
import { newShardId, writeShard } from './shard-writer.ts';
import { newCommitId, type BatchCredit, type CommitExtras, type CommitOutcome, type SnapshotCommit } from './snapshot-commit.ts';

export interface WrittenLayout {
  /** The shard list after the publish: tombstones added, fully hidden shards dropped, new shard last. */
  shards: ShardEntry[];
  newShard: ShardEntry | undefined;
  /** Where each pending recording's rows went in `newShard`. */
  newLocations: [string, RowLocation][];
  bytesWritten: number;
}

export interface WrittenSnapshot extends WrittenLayout {
  manifest: Manifest;
  /** The generation a reindex is building, as written (also when this publish swaps it in). */
  next: WrittenLayout | undefined;
}

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
  if (written) state.adoptPublished(written);
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
async function unusedVersion(store: ObjectStore, commit: SnapshotCommit, state: CollectionState): Promise<number> {
  let version = await commit.allocateVersion(state.version);
  while ((await store.get(snapshotLayout.manifest(state.collection, version))) !== undefined) {
    version = await commit.allocateVersion(version);
  }
  return version;
}

/** Writes the pending rows of `rows` as one new shard and folds its pending tombstones into its shard list. */
async function writeLayout(store: ObjectStore, rows: GenerationRows, version: number): Promise<WrittenLayout> {
  let bytesWritten = 0;
  let newShard: ShardEntry | undefined;
  const newLocations: [string, RowLocation][] = [];
  if (rows.pendingRows.size > 0) {
    if (!rows.model) throw new Error('cannot write rows without a model');
    const dim = rows.model.dim;
    const shardId = newShardId(version);
    let rowCount = 0;
    for (const row of rows.pendingRows.values()) rowCount += pendingRowCount(row, dim);
    const vectors = new Float32Array(rowCount * dim);
    const shardRows: ShardRow[] = [];
    for (const [id, pending] of rows.pendingRows) {
      vectors.set(pending.vectors, shardRows.length * dim);
      const count = pendingRowCount(pending, dim);
      newLocations.push([id, { shardId, row: shardRows.length, rows: count }]);
      for (let segment = 0; segment < count; segment += 1) {
        const span = pending.segments?.[segment];
        shardRows.push({ id, url: pending.url, metadata: pending.metadata, ...(span ? { start: span.start, end: span.end } : {}) });
      }
    }
    const written = await writeShard(store, rows.collection, shardId, vectors, dim, shardRows);
    newShard = written.entry;
    bytesWritten += written.bytesWritten;
  }
  const shards: ShardEntry[] = rows.shards
    .map((shard) => {
      const hidden = rows.pendingTombstones.get(shard.id);
      if (!hidden) return shard;
      const tombstones = [...new Set([...shard.tombstones, ...hidden])].sort((a, b) => a - b);
      return { ...shard, tombstones };
    })
    // A shard whose every row is hidden contributes nothing; compaction would drop it anyway.
    .filter((shard) => shard.tombstones.length < shard.count);
  if (newShard) shards.push(newShard);
  return { shards, newShard, newLocations, bytesWritten };
}

/**
 * Writes the pending changes as version `version`: a new small shard with the new rows,
 * tombstones for hidden rows, then the manifest. Objects are never rewritten, and the cost
 * grows with the change, not with the collection. Nothing is visible until the caller
 * commits the version and points LATEST at it; the state adopts it (`adoptPublished`) after the commit.
 *
 * While a reindex builds, its generation's new rows get a shard of their own, named only in
 * the manifest's `next`; once the build is complete (`outcome: 'swap'`) the manifest serves
 * that generation instead: its shards, model and generation number.
 */
async function writeSnapshot(store: ObjectStore, state: CollectionState, version: number, streamOffset: string, leaderFence: number): Promise<WrittenSnapshot> {
  if (!state.model) throw new Error('cannot publish a collection without a model');
  const current = await writeLayout(store, state, version);
  const build = state.build;
  const next = build ? await writeLayout(store, build.rows, version) : undefined;
  let bytesWritten = current.bytesWritten + (next?.bytesWritten ?? 0);
  const swap = build?.outcome === 'swap' && next && build.rows.model;
  const served = swap ? next : current;
  const manifest: Manifest = {
    formatVersion: MANIFEST_FORMAT_VERSION,
    collection: state.collection,
    version,
    createdAt: new Date().toISOString(),
    model: swap ? build.rows.model! : state.model,
    metric: 'inner_product',
    count: served.shards.reduce((sum, shard) => sum + shard.count - shard.tombstones.length, 0),
    recordings: swap ? build.rows.visibleCount : state.visibleCount,
    ...(state.segmentation ? { segmentation: state.segmentation } : {}),
    shards: served.shards,
    streamOffset,
    generation: swap ? build.generation : state.generation,
    ...((swap ? build.modelRef : state.modelRef) ? { modelRef: swap ? build.modelRef : state.modelRef } : {}),
    ...(build && next && !build.outcome ? { next: build.toManifest(next.shards) } : {}),
    ...((swap ? state.model : state.previousModel) ? { previousModel: swap ? state.model : state.previousModel } : {}),
    leaderFence,
  };
  const manifestBody = JSON.stringify(manifest);
  await store.put(snapshotLayout.manifest(state.collection, version), manifestBody);
  bytesWritten += manifestBody.length;
  return { manifest, ...current, bytesWritten, next };
}
