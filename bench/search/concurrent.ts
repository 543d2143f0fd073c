/**
 * Concurrent clients against the API's search engine, with and without batching of
 * concurrent queries (issue 13), in the same run over the same shard: QPS and p50/p99 at
 * 1, 8 and 64 clients, beside the time of one query alone and of one 64-query call.
 * Usage: npx tsx bench/search/concurrent.ts [rows=1000000] [seconds=8]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DIM, randomUnit, writeShardFile } from './generated-shard.ts';
import { readShardIntoSharedMemory } from '../../apps/api/src/search/shard-file-reader.ts';
import { SearchThreadPool } from '../../apps/api/src/search/search-thread-pool.ts';
import { loadFlatIPAddon } from '../../apps/api/src/search/flat-ip-addon.ts';

const K = 10;
const rows = Number(process.argv[2] ?? 1_000_000);
const seconds = Number(process.argv[3] ?? 8);
const directory = path.resolve('bench/results/tmp');
fs.mkdirSync(directory, { recursive: true });

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))]!;

/** `clients` loops, each sending its next query when the last is answered, for `seconds`. */
async function load(pool: SearchThreadPool, clients: number): Promise<{ qps: number; p50: number; p99: number }> {
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, client) => {
      for (let round = 0; performance.now() < deadline; round += 1) {
        const query = randomUnit(1, 7 + client * 1000 + round);
        const sent = performance.now();
        await pool.search('bench', rows, DIM, query, K);
        latencies.push(performance.now() - sent);
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { qps: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function timeOf(pool: SearchThreadPool, queries: Float32Array, repeat: number): Promise<number> {
  let best = Infinity;
  for (let index = 0; index < repeat; index += 1) {
    const sent = performance.now();
    await pool.search('bench', rows, DIM, queries, K);
    best = Math.min(best, performance.now() - sent);
  }
  return best;
}

const file = path.join(directory, `concurrent-${rows}.faiss`);
const shard = await readShardIntoSharedMemory(file, writeShardFile(file, rows));
fs.rmSync(file);
const threads = os.availableParallelism();
const results: string[] = [];
const single = { batched: 0, alone: 0 };
let batch64 = 0;
const table: Record<string, Record<number, { qps: number; p50: number; p99: number }>> = {};
for (const batchQueries of [false, true]) {
  const pool = await SearchThreadPool.start(threads, { blasDatabaseBlock: 32_768, blasQueryBlock: 0, blasThreshold: 2 }, { batchQueries });
  pool.addShard('bench', DIM, shard.vectors);
  pool.addView('bench', [{ shardKey: 'bench', excluded: null }]);
  await timeOf(pool, randomUnit(1, 3), 2); // warm the pages and the threads
  const idle = await timeOf(pool, randomUnit(1, 5), 7);
  if (batchQueries) single.batched = idle;
  else single.alone = idle;
  if (batchQueries) batch64 = await timeOf(pool, randomUnit(64, 11), 3);
  const mode = batchQueries ? 'batched' : 'one scan per query';
  table[mode] = {};
  for (const clients of [1, 8, 64]) table[mode][clients] = await load(pool, clients);
  await pool.close();
}
const loadAverage = fs.readFileSync('/proc/loadavg', 'utf8').trim();
console.log(
  `${rows} x ${DIM}, k=${K}, ${threads} search threads, Faiss ${loadFlatIPAddon().variant()}; ${seconds} s per cell; load average at the end: ${loadAverage}`,
);
console.log(
  `one query alone: ${single.alone.toFixed(1)} ms unbatched pool, ${single.batched.toFixed(1)} ms batching pool (idle: no added latency); one call of 64 queries: ${batch64.toFixed(1)} ms`,
);
console.log('| clients | one scan per query: QPS, p50, p99 | batched: QPS, p50, p99 | QPS ratio |');
console.log('|---|---|---|---|');
for (const clients of [1, 8, 64]) {
  const alone = table['one scan per query']![clients]!;
  const batched = table.batched![clients]!;
  const cell = (value: { qps: number; p50: number; p99: number }) => `${value.qps.toFixed(1)}, ${value.p50.toFixed(0)} ms, ${value.p99.toFixed(0)} ms`;
  results.push(`| ${clients} | ${cell(alone)} | ${cell(batched)} | ${(batched.qps / alone.qps).toFixed(1)}x |`);
}
for (const line of results) console.log(line);
