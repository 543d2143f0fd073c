import { createHash } from 'node:crypto';
import { decodeShardRows, readLatestManifest, snapshotLayout, type Manifest, type ObjectStore } from '@audio-index/shared';

export interface SnapshotAudit {
  manifest: Manifest | undefined;
  /** Visible rows per id in the snapshot LATEST points at. */
  rowsById: Map<string, number>;
  /** Ids with more than one visible row. */
  doubled: string[];
  /** Shards whose file is missing, or whose bytes or sha256 differ from the manifest. */
  brokenShards: string[];
}

/**
 * Reads the snapshot LATEST points at the way a fresh API would, and counts every id's visible
 * rows (tombstones applied). "Loadable" means: LATEST parses, its manifest parses, every shard
 * file is there with the manifest's size and sha256, and the id lists match the row counts.
 */
export async function auditLatestSnapshot(store: ObjectStore, collection: string): Promise<SnapshotAudit> {
  const manifest = await readLatestManifest(store, collection);
  const rowsById = new Map<string, number>();
  const brokenShards: string[] = [];
  for (const shard of manifest?.shards ?? []) {
    const [index, ids] = await Promise.all([
      store.get(snapshotLayout.shardIndex(collection, shard.id)),
      store.get(snapshotLayout.shardIds(collection, shard.id)),
    ]);
    if (!index || !ids || index.length !== shard.bytes || createHash('sha256').update(index).digest('hex') !== shard.sha256) {
      brokenShards.push(shard.id);
      continue;
    }
    const rows = decodeShardRows(ids.toString('utf8'));
    if (rows.length !== shard.count) brokenShards.push(`${shard.id} (ids ${rows.length} != rows ${shard.count})`);
    const tombstones = new Set(shard.tombstones);
    rows.forEach((row, rowNumber) => {
      if (!tombstones.has(rowNumber)) rowsById.set(row.id, (rowsById.get(row.id) ?? 0) + 1);
    });
  }
  const doubled = [...rowsById].filter(([, count]) => count > 1).map(([id]) => id);
  return { manifest, rowsById, doubled, brokenShards };
}
