/**
 * Indexer benchmark (not a test). Run from the repo root:
 *
 *   npx tsx bench/indexer/run.ts [--collection-size 1000000] [--ingest 100000] [--dim 768]
 *
 * Starts its own redis-server and uses the local directory store in a temp dir; prints a
 * table and writes bench/indexer/RESULTS.md.
 */
import { execSync } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { createLogger, createRedisKeys, LocalDirectoryStore, type ObjectStore, type RedisKeys } from '@audio-index/shared';
import { CollectionState } from '../../apps/indexer/src/collection-state.ts';
import { pointLatestAt } from '../../apps/indexer/src/latest-pointer.ts';
import { LeaderLock } from '../../apps/indexer/src/leader-lock.ts';
import { compactShards } from '../../apps/indexer/src/shard-compactor.ts';
import { writeShard } from '../../apps/indexer/src/shard-writer.ts';
import { SnapshotCommit } from '../../apps/indexer/src/snapshot-commit.ts';
import { publishAndCommit } from '../../apps/indexer/src/snapshot-publisher.ts';
import { startLocalRedisServer } from '../../test/harness/local-redis-server.ts';
import { measureWriteAmplification } from './write-amplification.ts';
import { randomRows } from './random-vectors.ts';
import { seedCollection } from './seeded-collection.ts';

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

const DIM = argument('dim', 768);
const COLLECTION_SIZE = argument('collection-size', 1_000_000);
const INGEST = argument('ingest', 100_000);
const PUBLISH_BATCH = 1000;
const REPEATS = 9;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

interface Leader {
  commit: SnapshotCommit;
  token: string;
  fence: number;
}

async function becomeLeader(redis: Redis, keys: RedisKeys, collection: string): Promise<Leader> {
  const lock = new LeaderLock(redis, keys.indexerLock(collection), keys.indexerFence(collection), 600_000);
  const fence = await lock.tryAcquire();
  if (fence === undefined || !lock.heldToken) throw new Error('could not take the leader lock');
  return { commit: new SnapshotCommit(redis, keys, collection), token: lock.heldToken, fence };
}

/** Applies `count` new vectors to the state and times the publish exactly as the leader does it. */
async function timedPublish(
  store: ObjectStore,
  leader: Leader,
  state: CollectionState,
  firstId: number,
  seed: number,
  replaceExisting = false,
): Promise<number> {
  const rows = randomRows(PUBLISH_BATCH, DIM, seed);
  state.setModelIfUnset({ id: 'bench-model', dim: DIM });
  for (let index = 0; index < PUBLISH_BATCH; index += 1) {
    const id = replaceExisting ? `seed-${firstId + index}` : `new-${firstId + index}`;
    state.upsert(id, { vectors: rows.slice(index * DIM, (index + 1) * DIM) });
  }
  const started = performance.now();
  await publishAndCommit({
    store,
    commit: leader.commit,
    state,
    lockToken: leader.token,
    fence: leader.fence,
    streamOffset: `${seed + 10}-0`,
    entryIds: [],
    credits: new Map(),
  });
  await pointLatestAt(store, state.collection, state.version);
  return performance.now() - started;
}

async function main(): Promise<void> {
  const workDir = await fs.mkdtemp(path.join(os.tmpdir(), 'bench-indexer-'));
  const redisServer = await startLocalRedisServer();
  const redis = new Redis(redisServer.connection, { maxRetriesPerRequest: null });
  const keys = createRedisKeys('bench');
  const store = new LocalDirectoryStore(path.join(workDir, 'store'));
  const rows: [string, string][] = [];
  const record = (name: string, value: string) => {
    rows.push([name, value]);
    console.log(`${name.padEnd(64)} ${value}`);
  };
  record('load average (1 min) at start', os.loadavg()[0]!.toFixed(1));
  try {
    // 1. Publish 1,000 new vectors: empty collection vs one of COLLECTION_SIZE. The two are
    // measured alternately, after the seed's writeback, so disk and CPU contention hit both alike.
    let started = performance.now();
    await seedCollection(store, redis, keys, 'large', { count: COLLECTION_SIZE, perShard: 100_000, dim: DIM });
    execSync('sync');
    record(`seed ${COLLECTION_SIZE.toLocaleString('en')} vectors (d=${DIM}) as 100k-row shards`, `${((performance.now() - started) / 1000).toFixed(1)} s`);
    started = performance.now();
    const large = await CollectionState.load(store, 'large', 1);
    record(`leader start: load the ${COLLECTION_SIZE.toLocaleString('en')}-vector snapshot's ids`, `${((performance.now() - started) / 1000).toFixed(1)} s`);
    const leader = await becomeLeader(redis, keys, 'large');
    const emptyTimes: number[] = [];
    const largeTimes: number[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat += 1) {
      const collection = `empty-${repeat}`;
      emptyTimes.push(await timedPublish(store, await becomeLeader(redis, keys, collection), new CollectionState(collection), 0, repeat + 1));
      largeTimes.push(await timedPublish(store, leader, large, repeat * PUBLISH_BATCH, 100 + repeat));
    }
    record(`publish ${PUBLISH_BATCH} new vectors into an empty collection (median of ${REPEATS})`, `${median(emptyTimes).toFixed(1)} ms`);
    record(`publish ${PUBLISH_BATCH} new vectors into ${COLLECTION_SIZE.toLocaleString('en')} (median of ${REPEATS})`, `${median(largeTimes).toFixed(1)} ms`);
    record('ratio large / empty (target <= 2)', (median(largeTimes) / median(emptyTimes)).toFixed(2));
    const upsertTimes: number[] = [];
    for (let repeat = 0; repeat < REPEATS; repeat += 1) upsertTimes.push(await timedPublish(store, leader, large, repeat * 7919, 200 + repeat, true));
    record(
      `publish ${PUBLISH_BATCH} upserts replacing existing rows in ${COLLECTION_SIZE.toLocaleString('en')} (median)`,
      `${median(upsertTimes).toFixed(1)} ms`,
    );

    // 2. Merge rate: 8 shards of 12.5k rows into one, as compaction does it.
    const mergeSources = [];
    for (let shard = 0; shard < 8; shard += 1) {
      const ids = Array.from({ length: 12_500 }, (_, index) => ({ id: `m-${shard}-${index}` }));
      mergeSources.push((await writeShard(store, 'merge', `src-${shard}`, randomRows(12_500, DIM, 500 + shard), DIM, ids)).entry);
    }
    execSync('sync');
    started = performance.now();
    const cpuBefore = process.cpuUsage();
    const merged = await compactShards(store, 'merge', mergeSources, DIM, 1);
    const mergeSeconds = (performance.now() - started) / 1000;
    const mergeCpu = process.cpuUsage(cpuBefore);
    record(
      `merge 8 x 12,500 vectors (d=${DIM}) into one shard`,
      `${(merged.origins.length / mergeSeconds).toFixed(0)} vectors/s (${mergeSeconds.toFixed(2)} s wall, ${((mergeCpu.user + mergeCpu.system) / 1e6).toFixed(2)} s CPU)`,
    );

    // 3. Write amplification of the real leader loop under continuous ingest with compaction.
    const amplification = await measureWriteAmplification({
      redisUrl: redisServer.connection,
      storeDir: path.join(workDir, 'wa-store'),
      vectors: INGEST,
      dim: DIM,
      logger: createLogger('bench', 'warn'),
    });
    record(
      `continuous ingest of ${INGEST.toLocaleString('en')} vectors, publishes of <= ${PUBLISH_BATCH}, fan-in 8`,
      `${amplification.publishes} publishes, ${amplification.merges} merges, ${amplification.finalShards} shards at the end`,
    );
    record('write amplification (all bytes written / vector bytes)', amplification.ratio.toFixed(2));
    record('  of which merges', amplification.mergeRatio.toFixed(2));
    record('ingest throughput through the leader loop', `${amplification.vectorsPerSecond.toFixed(0)} vectors/s`);
    record('load average (1 min) at end', os.loadavg()[0]!.toFixed(1));
  } finally {
    redis.disconnect();
    await redisServer.stop();
    await fs.rm(workDir, { recursive: true, force: true });
  }
  await writeResults(rows);
}

async function writeResults(rows: [string, string][]): Promise<void> {
  const command = `npx tsx bench/indexer/run.ts --collection-size ${COLLECTION_SIZE} --ingest ${INGEST} --dim ${DIM}`;
  const lines = [
    '# Indexer benchmark',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version},`,
    "a local redis-server and the local directory store (fsync on every object). Other engineers' test runs shared",
    'the 2 cores (see the load averages): wall times are upper bounds; the CPU time of the merge is the steadier figure.',
    '',
    '```sh',
    command,
    '```',
    '',
    '| measurement | result |',
    '|---|---|',
    ...rows.map(([name, value]) => `| ${name.trim()} | ${value} |`),
    '',
    'Publish = allocate a version, write the new shard (`.faiss` + `.ids.jsonl`) and the manifest,',
    'commit and ack in one fenced Redis script, write LATEST: the same code path as the leader',
    '(`apps/indexer/src/snapshot-publisher.ts`). Its cost follows the change; the manifest grows with the',
    'shard count (bounded by compaction) and the tombstone lists, not with the vector count.',
    '',
  ];
  await fs.writeFile(path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS.md'), lines.join('\n'));
}

await main();
