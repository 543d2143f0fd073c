/**
 * Object-store paths of a collection's snapshots (docs/architecture.md §3), relative to the store root.
 * Versions are zero-padded so that a lexicographic listing is also numeric order.
 */
const VERSION_DIGITS = 12;

export const snapshotLayout = {
  shardIndex: (collection: string, shardId: string) => `${collection}/shards/${shardId}.faiss`,
  shardIds: (collection: string, shardId: string) => `${collection}/shards/${shardId}.ids.jsonl`,
  manifest: (collection: string, version: number) => `${collection}/manifests/${padVersion(version)}.json`,
  manifestsPrefix: (collection: string) => `${collection}/manifests/`,
  latest: (collection: string) => `${collection}/LATEST`,
};

export function padVersion(version: number): string {
  return String(version).padStart(VERSION_DIGITS, '0');
}
