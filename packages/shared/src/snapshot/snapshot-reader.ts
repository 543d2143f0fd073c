import type { ObjectStore } from '../object-store/object-store.ts';
import { latestPointerSchema, manifestSchema, type Manifest } from './manifest.ts';
import { snapshotLayout } from './snapshot-layout.ts';

/** The version LATEST points at, or `undefined` for a collection never published. */
export async function readLatestVersion(store: ObjectStore, collection: string): Promise<number | undefined> {
  const pointer = await store.get(snapshotLayout.latest(collection));
  if (!pointer) return undefined;
  return latestPointerSchema.parse(JSON.parse(pointer.toString('utf8'))).version;
}

export async function readManifest(store: ObjectStore, collection: string, version: number): Promise<Manifest> {
  const body = await store.get(snapshotLayout.manifest(collection, version));
  if (!body) throw new Error(`manifest ${version} of collection ${collection} is missing from ${store.location}`);
  return manifestSchema.parse(JSON.parse(body.toString('utf8')));
}

export async function readLatestManifest(store: ObjectStore, collection: string): Promise<Manifest | undefined> {
  const version = await readLatestVersion(store, collection);
  return version === undefined ? undefined : readManifest(store, collection, version);
}
