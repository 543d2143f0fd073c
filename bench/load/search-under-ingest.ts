/**
 * 50 concurrent search clients for 30 s while a batch ingests, and freshness: the time from a
 * job's completion (BullMQ `completed` event) to the API serving a snapshot that holds it.
 * api, 2 workers and the indexer are separate processes on an AOF Redis and an s3rver of this
 * script's own, all on loopback. Default settings but RATE_LIMIT_PER_MINUTE (one key here).
 *
 *   npx tsx bench/load/search-under-ingest.ts [--clients 50] [--seconds 30] [--seed 500] [--items 1500]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { QueueEvents } from 'bullmq';
import { createRedisConnection, decodeShardRows, ingestJobId, jobCatalog, readManifest, snapshotLayout } from '@audio-index/shared';
import { loadModelCard } from '@audio-index/embedding';
import { ProcessSystem } from '../../test/support/process-system.ts';
import { RestartableRedis, RestartableS3 } from '../../test/support/restartable-services.ts';
import { percentile, startToneServer } from './tone-server.ts';

const { values } = parseArgs({
  options: {
    clients: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '30' },
    seed: { type: 'string', default: '500' },
    items: { type: 'string', default: '1500' },
  },
});
const CLIENTS = Number(values.clients);
const SECONDS = Number(values.seconds);
const SEED = Number(values.seed);
const ITEMS = Number(values.items);
const DIM = loadModelCard('default').dim;
const collection = 'load';

const tones = await startToneServer();
const redis = await RestartableRedis.start();
const s3 = await RestartableS3.start();
await s3.createBucket('bench-load');
const system = await ProcessSystem.start({
  services: { REDIS_URL: redis.url, ...s3.env() } as { REDIS_URL: string; S3_ENDPOINT: string },
  bucket: 'bench-load',
  namespace: 'bench-load',
  // Defaults otherwise (PUBLISH_INTERVAL_MS 1000, SNAPSHOT_POLL_INTERVAL_MS 5000, ...).
  env: {
    LOG_LEVEL: 'warn',
    RATE_LIMIT_PER_MINUTE: '10000000',
    PUBLISH_INTERVAL_MS: '',
    SNAPSHOT_POLL_INTERVAL_MS: '',
    COLLECTION_DISCOVERY_INTERVAL_MS: '',
    WORKER_LOCK_DURATION_MS: '',
    LEADER_LOCK_TTL_MS: '',
    SEARCH_THREADS: '',
    EMBED_BATCH_SIZE: '16',
    EMBED_BATCH_MAX_WAIT_MS: '5',
  },
  workers: 2,
  keepLines: ['"msg":"snapshot loaded"'],
});

try {
  // A collection to search: SEED items, ingested and published first.
  const seedBatch = await system.call<{ batchId: string }>('POST', '/v1/ingest', {
    body: { collection, items: Array.from({ length: SEED }, (_, n) => ({ id: `seed-${n}`, url: tones.urlOf(n) })) },
  });
  await system.waitForBatch(seedBatch.body.batchId, 1_800_000);
  console.log(`seeded ${SEED} items`);

  // Freshness: completion time per job, first-served time per id.
  const completedAt = new Map<string, number>();
  const eventsConnection = createRedisConnection(redis.url, 'bench-events');
  const events = new QueueEvents(jobCatalog.ingestItem.queue, { connection: eventsConnection, prefix: system.keys.queuePrefix });
  events.on('completed', ({ jobId }) => completedAt.set(jobId, Date.now()));
  await events.waitUntilReady();
  const servedAt = new Map<string, number>();
  const publishedAt = new Map<string, number>();
  const firstVersion = new Map<string, number>();
  let servedVersion = 0;
  const seenShards = new Set<string>();
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const answer = await system.call<{ snapshot: { version: number } | null }>('GET', `/v1/collections/${collection}`).catch(() => undefined);
      const version = answer?.body.snapshot?.version ?? 0;
      if (version > servedVersion) {
        const now = Date.now();
        for (let v = servedVersion + 1; v <= version; v += 1) {
          const manifest = await readManifest(system.store, collection, v).catch(() => undefined);
          for (const shard of manifest?.shards ?? []) {
            // Shards are immutable: read each id list once (re-reading every shard of every
            // version slowed this watcher, and with it the figures, by tens of seconds).
            if (seenShards.has(shard.id)) continue;
            seenShards.add(shard.id);
            const ids = await system.store.get(snapshotLayout.shardIds(collection, shard.id));
            for (const row of decodeShardRows(ids?.toString('utf8') ?? '')) {
              if (!servedAt.has(row.id)) servedAt.set(row.id, now);
              if (!firstVersion.has(row.id) && manifest) firstVersion.set(row.id, manifest.version);
              if (!publishedAt.has(row.id) && manifest) publishedAt.set(row.id, Date.parse(manifest.createdAt));
            }
          }
        }
        servedVersion = version;
      }
      await sleep(50);
    }
  })();

  const ingestStarted = Date.now();
  const batch = await system.call<{ batchId: string }>('POST', '/v1/ingest', {
    body: { collection, items: Array.from({ length: ITEMS }, (_, n) => ({ id: `item-${n}`, url: tones.urlOf(SEED + n) })) },
  });
  const { batchId } = batch.body;

  // 50 clients, each one request at a time, for SECONDS.
  const latencies: number[] = [];
  const errors: string[] = [];
  const deadline = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      let n = 0;
      while (Date.now() < deadline) {
        const vector = Array.from({ length: DIM }, (_, index) => Math.sin(client * 31 + n * 7 + index));
        const started = performance.now();
        try {
          const answer = await system.call<{ results: unknown[] }>('POST', '/v1/search', { body: { collection, k: 10, query: { vector } } });
          if (answer.status !== 200 || answer.body.results.length !== 10) errors.push(`${answer.status} ${JSON.stringify(answer.body).slice(0, 100)}`);
          else latencies.push(performance.now() - started);
        } catch (error) {
          errors.push((error as Error).message);
        }
        n += 1;
      }
    }),
  );
  const counters = await system.redis.hmget(system.keys.batch(collection, batchId), 'embedded', 'indexed');
  console.log(
    `search: ${latencies.length + errors.length} requests in ${SECONDS} s from ${CLIENTS} clients, ${errors.length} errors; p50 ${percentile(latencies, 0.5).toFixed(1)} ms, p99 ${percentile(latencies, 0.99).toFixed(1)} ms, ${(latencies.length / SECONDS).toFixed(0)} req/s; during it the batch went to embedded=${counters[0]} indexed=${counters[1]}`,
  );
  if (errors.length > 0) console.log(`first errors: ${errors.slice(0, 5).join(' | ')}`);

  const status = await system.waitForBatch(batchId, 1_800_000);
  const ingestSeconds = (Date.now() - ingestStarted) / 1000;
  await waitUntil(() => [...Array(ITEMS).keys()].every((n) => servedAt.has(`item-${n}`)), 60_000);
  watching = false;
  await watcher;
  await events.close();
  eventsConnection.disconnect();
  const freshness: number[] = [];
  const underLoad: number[] = [];
  const afterLoad: number[] = [];
  const toPublish: number[] = [];
  const publishToServe: number[] = [];
  for (let n = 0; n < ITEMS; n += 1) {
    const done = completedAt.get(ingestJobId(batchId, collection, `item-${n}`));
    const served = servedAt.get(`item-${n}`);
    const published = publishedAt.get(`item-${n}`);
    if (done === undefined || served === undefined) continue;
    freshness.push(Math.max(0, served - done));
    (done < deadline ? underLoad : afterLoad).push(Math.max(0, served - done));
    if (published !== undefined) {
      toPublish.push(Math.max(0, published - done));
      publishToServe.push(Math.max(0, served - published));
    }
  }
  const p = (values: number[]) =>
    `p50 ${(percentile(values, 0.5) / 1000).toFixed(2)} s, p95 ${(percentile(values, 0.95) / 1000).toFixed(2)} s (${values.length})`;
  console.log(`freshness of items completed during the search load: ${p(underLoad)}; after it: ${p(afterLoad)}`);
  console.log(`split: job completed -> manifest createdAt ${p(toPublish)}; manifest createdAt -> served by the API ${p(publishToServe)}`);
  console.log(`ingest: ${ITEMS} items in ${ingestSeconds.toFixed(0)} s (${(ITEMS / ingestSeconds).toFixed(1)} items/s), failed ${status.failed}`);
  console.log(
    `freshness (job completed -> served by the API), ${freshness.length} items: p50 ${(percentile(freshness, 0.5) / 1000).toFixed(2)} s, p95 ${(percentile(freshness, 0.95) / 1000).toFixed(2)} s, max ${(Math.max(...freshness) / 1000).toFixed(2)} s`,
  );
  console.log(`crashes: ${system.crashes().length}`);
  // When the API loaded each version, and how long the load took (its own log lines).
  const loads = system.apis[0]!.keptLines().filter((line) => JSON.parse(line).time >= ingestStarted);
  // Freshness by the API's own clock: from completion to the log line of the first loaded
  // version holding the item (the polling above adds the poll's own latency under load).
  const loadedAt = loads.map((line) => JSON.parse(line) as { time: number; version: number });
  const byLog: number[] = [];
  const byLogUnderLoad: number[] = [];
  for (let n = 0; n < ITEMS; n += 1) {
    const done = completedAt.get(ingestJobId(batchId, collection, `item-${n}`));
    const version = firstVersion.get(`item-${n}`);
    const load = loadedAt.find((entry) => version !== undefined && entry.version >= version);
    if (done === undefined || !load) continue;
    byLog.push(Math.max(0, load.time - done));
    if (done < deadline) byLogUnderLoad.push(Math.max(0, load.time - done));
  }
  console.log(
    `freshness by the API's log (job completed -> version holding it loaded): ${p(byLog)}; items completed during the search load: ${p(byLogUnderLoad)}`,
  );
  console.log(
    `api snapshot loads (time, version, ms): ${loads
      .map((line) => {
        const entry = JSON.parse(line) as { time: number; version: number; ms: number };
        return `${((entry.time - ingestStarted) / 1000).toFixed(1)}s v${entry.version} ${entry.ms}ms`;
      })
      .join(', ')}`,
  );
  console.log(
    `search load ran from ${((deadline - SECONDS * 1000 - ingestStarted) / 1000).toFixed(1)} s to ${((deadline - ingestStarted) / 1000).toFixed(1)} s after the ingest started`,
  );
} finally {
  await system.stop();
  await tones.close();
  await redis.close();
  await s3.close();
}

async function waitUntil(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition() && Date.now() < deadline) await sleep(100);
}
// Whatever client still retries the stopped Redis must not keep the script alive.
process.exit(0);
