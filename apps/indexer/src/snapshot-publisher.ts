import { randomBytes } from 'node:crypto';
import {
  encodeFlatIPShard,
  encodeShardRows,
  MANIFEST_FORMAT_VERSION,
  padVersion,
  sha256Hex,
  snapshotLayout,
  type Manifest,
  type ObjectStore,
  type ShardEntry,
  type ShardRow,
} from '@audio-index/shared';
import { pendingRowCount, type CollectionState, type RowLocation } from './collection-state.ts';

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

/** A shard id unique to one write: a stale leader racing on the same objects can never overwrite ours. */
export function newShardId(version: number): string {
  return `${padVersion(version)}-${randomBytes(6).toString('hex')}`;
}

/** Writes the `.faiss` and `.ids.jsonl` pair of a shard; returns its manifest entry. */
export async function writeShard(
  store: ObjectStore,
  collection: string,
  shardId: string,
  vectors: Float32Array,
  dim: number,
  rows: readonly ShardRow[],
): Promise<{ entry: ShardEntry; bytesWritten: number }> {
  return writeShardFiles(store, collection, shardId, encodeFlatIPShard(vectors, dim), rows.length, encodeShardRows(rows));
}

/** As `writeShard`, for a shard file and id list already encoded (merges copy rows file to file). */
export async function writeShardFiles(
  store: ObjectStore,
  collection: string,
  shardId: string,
  shardFile: Buffer,
  rowCount: number,
  idsText: string,
): Promise<{ entry: ShardEntry; bytesWritten: number }> {
  const idsFile = Buffer.from(idsText, 'utf8');
  await store.put(snapshotLayout.shardIndex(collection, shardId), shardFile);
  await store.put(snapshotLayout.shardIds(collection, shardId), idsFile);
  const entry = { id: shardId, count: rowCount, bytes: shardFile.length, sha256: sha256Hex(shardFile), tombstones: [] };
  return { entry, bytesWritten: shardFile.length + idsFile.length };
}

/** Writes the pending rows of `state` as one new shard and folds its pending tombstones into its shard list. */
async function writeLayout(store: ObjectStore, state: CollectionState, version: number): Promise<WrittenLayout> {
  let bytesWritten = 0;
  let newShard: ShardEntry | undefined;
  const newLocations: [string, RowLocation][] = [];
  if (state.pendingRows.size > 0) {
    if (!state.model) throw new Error('cannot write rows without a model');
    const dim = state.model.dim;
    const shardId = newShardId(version);
    let rowCount = 0;
    for (const row of state.pendingRows.values()) rowCount += pendingRowCount(row, dim);
    const vectors = new Float32Array(rowCount * dim);
    const rows: ShardRow[] = [];
    for (const [id, pending] of state.pendingRows) {
      vectors.set(pending.vectors, rows.length * dim);
      const count = pendingRowCount(pending, dim);
      newLocations.push([id, { shardId, row: rows.length, rows: count }]);
      for (let segment = 0; segment < count; segment += 1) {
        const span = pending.segments?.[segment];
        rows.push({ id, url: pending.url, metadata: pending.metadata, ...(span ? { start: span.start, end: span.end } : {}) });
      }
    }
    const written = await writeShard(store, state.collection, shardId, vectors, dim, rows);
    newShard = written.entry;
    bytesWritten += written.bytesWritten;
  }
  const shards: ShardEntry[] = state.shards
    .map((shard) => {
      const hidden = state.pendingTombstones.get(shard.id);
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
 * commits the version and points LATEST at it; the state is updated by `markPublished`.
 *
 * While a reindex builds, its generation's new rows get a shard of their own, named only in
 * the manifest's `next`; once the build is complete (`outcome: 'swap'`) the manifest serves
 * that generation instead: its shards, model and generation number.
 */
export async function writeSnapshot(
  store: ObjectStore,
  state: CollectionState,
  version: number,
  streamOffset: string,
  leaderFence: number,
): Promise<WrittenSnapshot> {
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

function adoptLayout(state: CollectionState, layout: WrittenLayout): void {
  state.shards = layout.shards;
  for (const [id, location] of layout.newLocations) state.locations.set(id, location);
  state.pendingRows.clear();
  state.pendingTombstones.clear();
  state.layoutChanged = false;
}

/** After the commit: the written snapshot becomes the state's published base. */
export function markPublished(state: CollectionState, written: WrittenSnapshot): void {
  state.version = written.manifest.version;
  state.streamOffset = written.manifest.streamOffset;
  const build = state.build;
  if (build && written.next) adoptLayout(build.rows, written.next);
  const swapped = build?.outcome === 'swap' && build.rows.model !== undefined;
  if (swapped) {
    // The new generation is served from now on.
    state.locations.clear();
    for (const [id, location] of build.rows.locations) state.locations.set(id, location);
    state.previousModel = state.model;
    state.model = written.manifest.model;
    state.modelRef = written.manifest.modelRef;
    state.generation = written.manifest.generation;
  }
  state.requeue = [];
  if (build) {
    build.dirty = false;
    build.jobs = [];
    if (build.outcome) state.build = undefined;
  }
  // A swap happens only with nothing pending in the served generation (collection-indexer.ts).
  adoptLayout(state, swapped ? { shards: written.manifest.shards, newShard: undefined, newLocations: [], bytesWritten: 0 } : { ...written, shards: written.manifest.shards });
}
