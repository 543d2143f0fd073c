/**
 * Search engine bench: the API's engine (search threads + Faiss addon on shared memory) vs
 * Python faiss on the same shard files, with memory bandwidth and sgemm measured in the
 * same run. Usage: npx tsx bench/search/run.ts [N ...]   (default 100000 1000000; d=768)
 * Writes shard files under bench/results/tmp/ (generated in chunks) and prints a table.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DIM, randomUnit, writeShardFile } from './generated-shard.ts';
import { readShardIntoSharedMemory } from '../../apps/api/src/search/shard-file-reader.ts';
import { SearchThreadPool } from '../../apps/api/src/search/search-thread-pool.ts';
import { loadFlatIPAddon } from '../../apps/api/src/search/flat-ip-addon.ts';

const K = 10;
const sizes = process.argv.slice(2).map(Number);
const directory = path.resolve('bench/results/tmp');
fs.mkdirSync(directory, { recursive: true });

async function best(repeat: number, action: () => Promise<unknown>): Promise<number> {
  let fastest = Infinity;
  for (let index = 0; index < repeat; index += 1) {
    const started = process.hrtime.bigint();
    await action();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1e9);
  }
  return fastest;
}

const threads = os.availableParallelism();
const pool = await SearchThreadPool.start(threads, { blasDatabaseBlock: 32_768, blasQueryBlock: 0 });
const variant = loadFlatIPAddon().variant();
const lines: string[] = [];
for (const rows of sizes.length ? sizes : [100_000, 1_000_000]) {
  const file = path.join(directory, `bench-${rows}.faiss`);
  const sha = writeShardFile(file, rows);
  const shard = await readShardIntoSharedMemory(file, sha);
  const key = `bench/${rows}`;
  pool.addShard(key, DIM, shard.vectors);
  pool.addView(key, [{ shardKey: key, excluded: null }]);
  const ours: Record<number, number> = {};
  for (const batch of [1, 64]) {
    const queries = randomUnit(batch, 999 + batch);
    await pool.search(key, rows, DIM, queries, K);
    ours[batch] = await best(batch === 1 ? 7 : 3, () => pool.search(key, rows, DIM, queries, K));
  }
  pool.dropView(key);
  pool.dropShard(key);
  const python = JSON.parse(
    execFileSync('/usr/bin/python3', [path.resolve('bench/search/python-side.py'), file, String(DIM), String(K)], { encoding: 'utf8' }),
  ) as Record<string, number>;
  const bytes = rows * DIM * 4;
  const flops64 = 2 * 64 * DIM * rows;
  lines.push(
    `| ${rows} | ${(ours[1]! * 1e3).toFixed(1)} ms (${(bytes / ours[1]! / 1e9).toFixed(1)} GB/s) | ${(python.faiss_b1_s! * 1e3).toFixed(1)} ms (${(bytes / python.faiss_b1_s! / 1e9).toFixed(1)} GB/s) ` +
      `| ${(ours[64]! * 1e3).toFixed(1)} ms (${(flops64 / ours[64]! / 1e9).toFixed(0)} GFLOP/s) | ${(python.faiss_b64_s! * 1e3).toFixed(1)} ms (${(flops64 / python.faiss_b64_s! / 1e9).toFixed(0)} GFLOP/s) ` +
      `| ${python.read_gbs!.toFixed(1)} GB/s | ${python.sgemm_peak_gflops!.toFixed(0)} GFLOP/s |`,
  );
  fs.rmSync(file);
}
await pool.close();
console.log(`engine: ${threads} search threads, addon linked to Faiss ${variant}; k=${K}, d=${DIM}; best of several runs`);
console.log('| N | ours, batch 1 | Python faiss, batch 1 | ours, batch 64 | Python faiss, batch 64 | numpy read | sgemm (numpy/OpenBLAS 4096²) |');
console.log('|---|---|---|---|---|---|---|');
for (const line of lines) console.log(line);
