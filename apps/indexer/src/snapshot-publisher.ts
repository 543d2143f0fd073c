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
} from '@audio-index/shared';
import type { CollectionState } from './collection-state.ts';

export interface PublishResult {
  manifest: Manifest;
  newShard: ShardEntry | undefined;
  bytesWritten: number;
}

/**
 * Publishes the pending changes as a new version: a new small shard with the new rows,
 * tombstones for hidden rows, then the manifest, then LATEST. Objects are never rewritten;
 * the cost grows with the change, not with the collection.
 *
 * `beforeLatest` runs between the manifest and LATEST writes: the leader checks it still
 * holds its lock there, so a deposed leader never moves LATEST.
 */
export async function publishSnapshot(
  store: ObjectStore,
  state: CollectionState,
  streamOffset: string,
  beforeLatest: () => Promise<void>,
): Promise<PublishResult> {
  if (!state.model) throw new Error('cannot publish a collection without a model');
  const version = state.version + 1;
  let bytesWritten = 0;
  let newShard: ShardEntry | undefined;
  const newLocations: [string, number][] = [];

  if (state.pendingRows.size > 0) {
    // Random suffix: a stale leader racing on the same version can never overwrite our objects.
    const shardId = `${padVersion(version)}-${randomBytes(4).toString('hex')}`;
    const dim = state.model.dim;
    const vectors = new Float32Array(state.pendingRows.size * dim);
    const rows = [];
    let rowIndex = 0;
    for (const [id, row] of state.pendingRows) {
      vectors.set(row.vector, rowIndex * dim);
      rows.push({ id, url: row.url, metadata: row.metadata });
      newLocations.push([id, rowIndex]);
      rowIndex += 1;
    }
    const shardFile = encodeFlatIPShard(vectors, dim);
    const idsFile = Buffer.from(encodeShardRows(rows), 'utf8');
    await store.put(snapshotLayout.shardIndex(state.collection, shardId), shardFile);
    await store.put(snapshotLayout.shardIds(state.collection, shardId), idsFile);
    bytesWritten += shardFile.length + idsFile.length;
    newShard = { id: shardId, count: rows.length, bytes: shardFile.length, sha256: sha256Hex(shardFile), tombstones: [] };
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

  const manifest: Manifest = {
    formatVersion: MANIFEST_FORMAT_VERSION,
    collection: state.collection,
    version,
    createdAt: new Date().toISOString(),
    model: state.model,
    metric: 'inner_product',
    count: shards.reduce((sum, shard) => sum + shard.count - shard.tombstones.length, 0),
    shards,
    streamOffset,
    generation: state.generation,
  };
  const manifestBody = JSON.stringify(manifest, null, 2);
  await store.put(snapshotLayout.manifest(state.collection, version), manifestBody);
  await beforeLatest();
  await store.put(snapshotLayout.latest(state.collection), JSON.stringify({ version }));
  bytesWritten += manifestBody.length;

  state.version = version;
  state.streamOffset = streamOffset;
  state.shards = shards;
  if (newShard) for (const [id, row] of newLocations) state.locations.set(id, { shardId: newShard.id, row });
  state.pendingRows.clear();
  state.pendingTombstones.clear();
  return { manifest, newShard, bytesWritten };
}
