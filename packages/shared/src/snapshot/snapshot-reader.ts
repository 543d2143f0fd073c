import { setTimeout as sleep } from 'node:timers/promises';
import type { ObjectStore } from '../object-store/object-store.ts';
import { latestPointerSchema, manifestSchema, type Manifest } from './manifest.ts';
import { snapshotLayout } from './snapshot-layout.ts';

/**
 * LATEST is the one object that is overwritten. S3 and MinIO replace it atomically, but
 * s3rver (the test store here) truncates the file and then writes it, so a read that meets
 * a write in progress sees an empty or partial body, or a response cut short ("aborted").
 * Such a read is retried: the write completes within milliseconds.
 */
const TORN_READ_ATTEMPTS = 10;
const TORN_READ_DELAY_MS = 50;

export class UnreadableLatestPointerError extends Error {
  override readonly name = 'UnreadableLatestPointerError';
}

/** The version LATEST points at, or `undefined` for a collection never published. */
export async function readLatestVersion(store: ObjectStore, collection: string): Promise<number | undefined> {
  for (let attempt = 1; ; attempt += 1) {
    let pointer: Buffer | undefined;
    try {
      pointer = await store.get(snapshotLayout.latest(collection));
    } catch (error) {
      if (attempt >= TORN_READ_ATTEMPTS) throw error;
      await sleep(TORN_READ_DELAY_MS);
      continue;
    }
    if (!pointer) return undefined;
    const parsed = parseLatestPointer(pointer);
    if (parsed !== undefined) return parsed;
    if (attempt >= TORN_READ_ATTEMPTS) {
      throw new UnreadableLatestPointerError(`LATEST of collection ${collection} is unreadable: ${JSON.stringify(pointer.toString('utf8').slice(0, 100))}`);
    }
    await sleep(TORN_READ_DELAY_MS);
  }
}

function parseLatestPointer(body: Buffer): number | undefined {
  try {
    return latestPointerSchema.parse(JSON.parse(body.toString('utf8'))).version;
  } catch {
    return undefined;
  }
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
