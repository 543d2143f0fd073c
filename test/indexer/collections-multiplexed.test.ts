import fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { BatchLedger, CollectionCommands } from '@audio-index/shared';
import { closeAll, connectTestRedis, testServiceEnv } from '../harness/test-services.ts';
import { IndexerProcess } from './support/indexer-process.ts';
import { createIndexerTestSetup, feedVectors, readVisibleRows, type IndexerTestSetup } from './support/indexer-test-setup.ts';
import { waitFor } from './support/wait-for.ts';

const COLLECTIONS = 200;
const DIM = 8;
/** The command connection, the stream watcher's, and what BullMQ's reindex schedule holds: fixed, whatever the collection count. */
const MAX_REDIS_CONNECTIONS = 4;

/**
 * Issue 11, item 2: the indexer's Redis connections do not grow with the collections (seen
 * before: one client per collection), every collection is still served, and a deleted
 * collection leaves no store object and no Redis key behind and its name can be used again.
 */
describe('collections share the indexer connections; delete removes one (indexer process, real Redis and S3)', () => {
  const processes: IndexerProcess[] = [];
  afterAll(async () => {
    await Promise.all(processes.map((indexer) => indexer.kill()));
    await closeAll();
  });

  it(`serves ${COLLECTIONS} collections over ≤ ${MAX_REDIS_CONNECTIONS} Redis connections, and deletes one for good`, { timeout: 180_000 }, async () => {
    const base = await createIndexerTestSetup({ PUBLISH_INTERVAL_MS: '200' });
    const redis = connectTestRedis();
    const ledger = new BatchLedger(redis, base.keys);
    const setups: IndexerTestSetup[] = Array.from({ length: COLLECTIONS }, (_, index) => ({ ...base, collection: `${base.collection}-${index}` }));
    const indexer = new IndexerProcess(base.env);
    processes.push(indexer);
    const redisPort = Number(new URL(testServiceEnv().REDIS_URL).port);
    // Batch ids are global (batch -> collection index): one of its own per collection.
    const ingestOne = async (setup: IndexerTestSetup, batch: string) => {
      const batchId = `${batch}-${setup.collection}`;
      await ledger.createBatch(setup.collection, batchId, 1);
      await feedVectors(redis, setup, batchId, [`${setup.collection}-item`], { dim: DIM });
    };
    const indexedOf = async (setup: IndexerTestSetup, batch: string) =>
      Number((await redis.hget(setup.keys.batch(setup.collection, `${batch}-${setup.collection}`), 'indexed')) ?? 0);

    await ingestOne(setups[0]!, 'b');
    await waitFor(
      async () => (await indexedOf(setups[0]!, 'b')) === 1,
      30_000,
      () => indexer.output(),
    );
    const withOne = redisConnectionsOf(indexer.pid!, redisPort);

    for (const setup of setups.slice(1)) await ingestOne(setup, 'b');
    await waitFor(
      async () => (await Promise.all(setups.map((setup) => indexedOf(setup, 'b')))).every((indexed) => indexed === 1),
      120_000,
      () => indexer.output(),
    );
    const withAll = redisConnectionsOf(indexer.pid!, redisPort);
    expect(withOne).toBeGreaterThan(0);
    expect(withAll).toBeLessThanOrEqual(Math.max(withOne, MAX_REDIS_CONNECTIONS));
    expect(withAll).toBeLessThanOrEqual(MAX_REDIS_CONNECTIONS);

    // Delete one: store objects, every key of its tag, its batches' index entries, its name.
    const doomed = setups[7]!;
    expect(await listStore(doomed)).not.toHaveLength(0);
    await new CollectionCommands(redis, base.keys).deleteCollection(doomed.collection);
    await waitFor(
      async () => (await redis.sismember(base.keys.collections, doomed.collection)) === 0,
      30_000,
      () => indexer.output(),
    );
    await waitFor(
      async () => (await redis.exists(doomed.keys.indexerLock(doomed.collection))) === 0,
      10_000,
      () => indexer.output(),
    );
    expect(await listStore(doomed)).toEqual([]);
    expect(await scanAll(redis, base.keys.collectionKeyPattern(doomed.collection))).toEqual([]);
    expect(await redis.exists(base.keys.batchCollection(`b-${doomed.collection}`))).toBe(0);
    expect(await redis.sismember(base.keys.collectionsDeleting, doomed.collection)).toBe(0);
    // The others are untouched.
    expect(await redis.exists(base.keys.batchCollection(`b-${setups[8]!.collection}`))).toBe(1);
    expect(await indexedOf(setups[8]!, 'b')).toBe(1);
    expect((await readVisibleRows(base.store, setups[8]!.collection))?.rows).toHaveLength(1);

    // The name is free again: a new collection of that name starts from version 1.
    await ingestOne(doomed, 'again');
    await waitFor(
      async () => (await indexedOf(doomed, 'again')) === 1,
      30_000,
      () => indexer.output(),
    );
    const reborn = await readVisibleRows(base.store, doomed.collection);
    expect(reborn?.version).toBe(1);
    expect(reborn?.rows.map((row) => row.id)).toEqual([`${doomed.collection}-item`]);
    expect(redisConnectionsOf(indexer.pid!, redisPort)).toBeLessThanOrEqual(MAX_REDIS_CONNECTIONS);
    expect(indexer.running, indexer.output()).toBe(true);
  });
});

async function listStore(setup: IndexerTestSetup): Promise<string[]> {
  const keys: string[] = [];
  for await (const key of setup.store.list(`${setup.collection}/`)) keys.push(key);
  return keys;
}

async function scanAll(redis: ReturnType<typeof connectTestRedis>, pattern: string): Promise<string[]> {
  const found: string[] = [];
  let cursor = '0';
  do {
    const [next, page] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    found.push(...page);
    cursor = next;
  } while (cursor !== '0');
  return found;
}

/** TCP connections the process holds to the Redis port, from /proc (the kernel's own count, whatever the client names them). */
function redisConnectionsOf(pid: number, redisPort: number): number {
  const inodes = new Set<string>();
  for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.add(match[1]!);
    } catch {
      // closed meanwhile
    }
  }
  let count = 0;
  for (const table of [`/proc/${pid}/net/tcp`, `/proc/${pid}/net/tcp6`]) {
    if (!fs.existsSync(table)) continue;
    for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const remotePort = Number.parseInt(fields[2]!.split(':')[1]!, 16);
      // state 01: ESTABLISHED
      if (remotePort === redisPort && fields[3] === '01' && inodes.has(fields[9]!)) count += 1;
    }
  }
  return count;
}
