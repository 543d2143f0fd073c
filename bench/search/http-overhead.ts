/**
 * HTTP overhead and memory of the API's search, against the same engine called directly.
 *   npx tsx bench/search/http-overhead.ts [rows=100000]
 * Starts a real API (local Redis, local directory store, d=768 snapshot of `rows` vectors),
 * then measures, in one run:
 *   - resident memory added by loading the snapshot, over the raw vector bytes;
 *   - p50/p99 of POST /v1/search (vector query, k=10) over loopback, sequential;
 *   - p50/p99 of the same queries on a SearchThreadPool + the same shard file, no HTTP.
 * Prints a table and appends it to bench/search/HTTP-RESULTS.md.
 */
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Redis } from 'ioredis';
import { loadApiConfig, startApi } from '@audio-index/api';
import { createRedisKeys, encodeFlatIPShard, MANIFEST_FORMAT_VERSION, sha256Hex, snapshotLayout, type Manifest } from '@audio-index/shared';
import { readShardIntoSharedMemory } from '../../apps/api/src/search/shard-file-reader.ts';
import { SearchThreadPool } from '../../apps/api/src/search/search-thread-pool.ts';
import { ensureRedis } from '../../scripts/embedded-redis.ts';
import { DIM, randomUnit as unitRows } from './generated-shard.ts';

const K = 10;
const QUERIES = 300;
const rows = Number(process.argv[2] ?? 100_000);

function decodeFirstRow(file: Buffer): Float32Array {
  const row = new Float32Array(DIM);
  Buffer.from(row.buffer).set(file.subarray(45, 45 + DIM * 4));
  return row;
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function percentile(samples: number[], p: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'http-overhead-'));
const redisUrl = `redis://127.0.0.1:${await freePort()}`;
const redisServer = await ensureRedis(redisUrl, path.join(work, 'redis'));
const env = {
  REDIS_URL: redisUrl,
  STORE_URL: `file://${path.join(work, 'store')}`,
  SHARD_CACHE_DIR: path.join(work, 'cache'),
  PORT: '0',
  LOG_LEVEL: 'warn',
  SNAPSHOT_POLL_INTERVAL_MS: '200',
  RATE_LIMIT_PER_MINUTE: '1000000',
};
const config = loadApiConfig(env);

// Publish one snapshot straight into the store, in the indexer's format.
const collection = 'bench';
let shardFile: Buffer | undefined = encodeFlatIPShard(unitRows(rows, 7), DIM);
const firstRow = decodeFirstRow(shardFile);
const shardId = '000000000001-bench';
const storeRoot = path.join(work, 'store');
fs.mkdirSync(path.join(storeRoot, collection, 'shards'), { recursive: true });
fs.mkdirSync(path.join(storeRoot, collection, 'manifests'), { recursive: true });
fs.writeFileSync(path.join(storeRoot, snapshotLayout.shardIndex(collection, shardId)), shardFile);
fs.writeFileSync(
  path.join(storeRoot, snapshotLayout.shardIds(collection, shardId)),
  Array.from({ length: rows }, (_, row) => JSON.stringify({ id: `r${row}` })).join('\n') + '\n',
);
const manifest: Manifest = {
  formatVersion: MANIFEST_FORMAT_VERSION,
  collection,
  version: 1,
  createdAt: new Date().toISOString(),
  model: { id: 'bench', dim: DIM },
  metric: 'inner_product',
  count: rows,
  shards: [{ id: shardId, count: rows, bytes: shardFile.length, sha256: sha256Hex(shardFile), tombstones: [] }],
  streamOffset: '0-0',
  generation: 1,
};
fs.writeFileSync(path.join(storeRoot, snapshotLayout.manifest(collection, 1)), JSON.stringify(manifest));
const shardPath = path.join(work, 'bench.faiss');
fs.writeFileSync(shardPath, shardFile);
const shardSha = sha256Hex(shardFile);
// The bench's own copy must not count as the API's memory: drop it before measuring.
shardFile = undefined;

const api = await startApi(config);
global.gc?.();
await sleep(500);
const rssBefore = process.memoryUsage().rss;
fs.writeFileSync(path.join(storeRoot, snapshotLayout.latest(collection)), JSON.stringify({ version: 1 }));
const redis = new Redis(redisUrl);
const keys = createRedisKeys(config.redis.namespace);
await redis.sadd(keys.collections, collection);
await redis.publish(keys.snapshotChannel, JSON.stringify({ collection, version: 1 }));

async function search(vector: Float32Array): Promise<{ status: number; count: number }> {
  const response = await fetch(`${api.url}/v1/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ collection, k: K, query: { vector: Array.from(vector) } }),
  });
  const body = (await response.json()) as { snapshot?: { count: number } };
  return { status: response.status, count: body.snapshot?.count ?? 0 };
}

for (let attempt = 0; (await search(firstRow)).count !== rows; attempt += 1) {
  if (attempt > 600) throw new Error('snapshot did not load');
  await sleep(100);
}
global.gc?.();
const rssAfter = process.memoryUsage().rss;
const rawBytes = rows * DIM * 4;

const queries = unitRows(QUERIES, 99);
// The same engine without HTTP: a pool of the API's size over the same shard file. Raw and
// HTTP queries alternate, so both see the same machine state (load, caches, clock speed).
const pool = await SearchThreadPool.start(config.search.threads, {
  blasDatabaseBlock: config.search.blas.databaseBlock,
  blasQueryBlock: config.search.blas.queryBlock,
});
const shard = await readShardIntoSharedMemory(shardPath, shardSha);
pool.addShard('raw', DIM, shard.vectors);
pool.addView('raw-view', [{ shardKey: 'raw', excluded: null }]);
const httpMs: number[] = [];
const rawMs: number[] = [];
for (let index = 0; index < QUERIES; index += 1) {
  const query = queries.slice(index * DIM, (index + 1) * DIM);
  let started = performance.now();
  await pool.search('raw-view', rows, DIM, query, K);
  rawMs.push(performance.now() - started);
  started = performance.now();
  const { status } = await search(query);
  httpMs.push(performance.now() - started);
  if (status !== 200) throw new Error(`search answered ${status}`);
}

// What HTTP costs without search: a health check, and a search by id (tiny body, same engine).
const healthMs: number[] = [];
const byIdMs: number[] = [];
for (let index = 0; index < QUERIES; index += 1) {
  let started = performance.now();
  await (await fetch(`${api.url}/healthz`)).json();
  healthMs.push(performance.now() - started);
  started = performance.now();
  const response = await fetch(`${api.url}/v1/search`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ collection, k: K, query: { id: `r${index}` } }),
  });
  await response.json();
  byIdMs.push(performance.now() - started);
}

const lines = [
  `### ${new Date().toISOString()} — ${rows} x ${DIM}, k=${K}, ${QUERIES} queries, raw and HTTP alternating, SEARCH_THREADS=${config.search.threads}, load ${os.loadavg()[0]!.toFixed(1)}`,
  '',
  '| measure | value |',
  '|---|---|',
  `| raw engine p50 / p99 | ${percentile(rawMs, 50).toFixed(2)} / ${percentile(rawMs, 99).toFixed(2)} ms |`,
  `| HTTP POST /v1/search p50 / p99 | ${percentile(httpMs, 50).toFixed(2)} / ${percentile(httpMs, 99).toFixed(2)} ms |`,
  `| GET /healthz p50 (HTTP round trip alone, client in the same process) | ${percentile(healthMs, 50).toFixed(2)} ms |`,
  `| POST /v1/search by id p50 (no vector in the body) | ${percentile(byIdMs, 50).toFixed(2)} ms |`,
  `| HTTP overhead at p50 (target <= 5 ms) | ${(percentile(httpMs, 50) - percentile(rawMs, 50)).toFixed(2)} ms |`,
  `| raw vector bytes | ${(rawBytes / 2 ** 20).toFixed(0)} MiB |`,
  `| RSS added by loading the snapshot | ${((rssAfter - rssBefore) / 2 ** 20).toFixed(0)} MiB (${((rssAfter - rssBefore) / rawBytes).toFixed(2)} x raw; target <= 1.3) |`,
  `| API process RSS after load (incl. ONNX model, Node) | ${(rssAfter / 2 ** 20).toFixed(0)} MiB |`,
  '',
  `Command: \`node --expose-gc --import tsx bench/search/http-overhead.ts ${rows}\``,
  '',
];
console.log(lines.join('\n'));
fs.appendFileSync(path.resolve('bench/search/HTTP-RESULTS.md'), lines.join('\n') + '\n');

await pool.close();
await api.stop();
redis.disconnect();
await redisServer.stop();
fs.rmSync(work, { recursive: true, force: true });
process.exit(0);
