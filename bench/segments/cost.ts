/**
 * What 1,000 hours of indexed audio cost at a segmentation: rows, shard and ids bytes, and
 * search p50 with the API's engine (search threads + Faiss addon over shared memory). The
 * rows are random unit vectors of the model's dimension (1000 h x 3600 / hop of them),
 * written as real IndexFlatIP shards with the shared encoder, in shards of the compaction
 * target size; the ids files are the shared row encoding with realistic urls and metadata.
 *
 *   npx tsx bench/segments/cost.ts --segment 5 --hop 2.5 [--hours 1000] [--model git:HEAD]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadModelCard, planSegments } from '@audio-index/embedding';
import { allocateFlatIPShard, encodeShardRows, FLAT_IP_HEADER_BYTES, type ShardRow } from '@audio-index/shared';
import { readShardIntoSharedMemory } from '../../apps/api/src/search/shard-file-reader.ts';
import { SearchThreadPool } from '../../apps/api/src/search/search-thread-pool.ts';
import { CACHE_DIRECTORY } from './cache-directory.ts';
import { resolveModel } from './pinned-model.ts';
import { seededRandom, type SeededRandom } from './seeded-random.ts';

const { values: options } = parseArgs({
  options: {
    segment: { type: 'string', default: '5' },
    hop: { type: 'string', default: '2.5' },
    hours: { type: 'string', default: '1000' },
    model: { type: 'string', default: 'git:HEAD' },
    'shard-bytes': { type: 'string', default: String(256 * 1024 * 1024) },
    /** Rows asked per query segment: what the API asks for k = 10 (k x 4 + 16). */
    rows: { type: 'string', default: '56' },
    repeat: { type: 'string', default: '21' },
    keep: { type: 'boolean', default: false },
    /** Queries from which Faiss takes its sgemm path (0: Faiss's own 20, as the API runs). */
    'blas-threshold': { type: 'string', default: '0' },
  },
});
const log = (line: string) => console.error(`[bench/segments cost] ${line}`);
const settings = { segmentSeconds: Number(options.segment), hopSeconds: Number(options.hop) };
const hours = Number(options.hours);
const model = resolveModel(options.model);
const card = loadModelCard(model.model);
const dim = card.dim;
const SAMPLE_RATE = card.sampleRate;
const loadBefore = readFileSync('/proc/loadavg', 'utf8').trim();

/**
 * An archive of broadcasts and interviews: recordings of 5 to 120 minutes (log-uniform,
 * mean ~40 min), each with a url and the metadata a catalogue keeps.
 */
function planArchive(random: SeededRandom): { id: string; seconds: number; url: string; metadata: Record<string, unknown> }[] {
  const series = [
    'Morning Programme',
    'Evening News',
    'Farming Today',
    'Oral History Project',
    'Concert Hall',
    'Regional Report',
    'Science Hour',
    'Listener Phone-In',
  ];
  const archive = [];
  let total = 0;
  for (let index = 0; total < hours * 3600; index += 1) {
    const seconds = Math.round(Math.exp(random.uniform(Math.log(300), Math.log(7200))));
    const year = 1962 + random.integer(0, 60);
    const date = `${year}-${String(random.integer(1, 13)).padStart(2, '0')}-${String(random.integer(1, 29)).padStart(2, '0')}`;
    const name = series[random.integer(0, series.length)]!;
    const id = `rec-${String(index).padStart(7, '0')}`;
    archive.push({
      id,
      seconds,
      url: `https://archive.example.org/audio/${year}/${name.toLowerCase().replace(/[^a-z]+/g, '-')}/${date}-${id}.flac`,
      metadata: {
        title: `${name}, ${date}`,
        series: name,
        date,
        language: random.next() < 0.8 ? 'en' : 'fr',
        durationSeconds: seconds,
        catalogue: `AX/${year}/${random.integer(1000, 99999)}`,
      },
    });
    total += seconds;
  }
  return archive;
}

const directory = join(CACHE_DIRECTORY, `cost-${settings.segmentSeconds}-${settings.hopSeconds}-${hours}h-d${dim}`);
rmSync(directory, { recursive: true, force: true });
mkdirSync(directory, { recursive: true });
const random = seededRandom(`cost/${hours}`);
const archive = planArchive(random);
const rowsPerShard = Math.floor(Number(options['shard-bytes']) / (dim * 4));

/** Rows of every recording in archive order, cut into shards of at most rowsPerShard (a recording never split, as the indexer keeps runs contiguous unless one recording alone is larger). */
interface ShardPlan {
  rows: ShardRow[];
}
const shards: ShardPlan[] = [{ rows: [] }];
let totalRows = 0;
for (const recording of archive) {
  const spans = planSegments(recording.seconds * SAMPLE_RATE, SAMPLE_RATE, settings);
  if (shards.at(-1)!.rows.length + spans.length > rowsPerShard && shards.at(-1)!.rows.length > 0) shards.push({ rows: [] });
  const shard = shards.at(-1)!;
  for (const span of spans) shard.rows.push({ id: recording.id, url: recording.url, metadata: recording.metadata, start: span.start, end: span.end });
  totalRows += spans.length;
}
log(`${archive.length} recordings, ${totalRows} rows of d=${dim} in ${shards.length} shards`);

const written: { file: string; sha256: string; rows: number }[] = [];
let shardBytes = 0;
let idsBytes = 0;
let idsBytesEveryRowFull = 0;
const generator = seededRandom(`cost/vectors/${dim}`);
for (const [index, shard] of shards.entries()) {
  const file = allocateFlatIPShard(dim, shard.rows.length);
  // The 45-byte header leaves the rows unaligned for a Float32Array view: fill one, copy it in.
  const vectors = new Float32Array(shard.rows.length * dim);
  fillUnitRows(vectors, dim, generator);
  Buffer.from(vectors.buffer).copy(file, FLAT_IP_HEADER_BYTES);
  const path = join(directory, `shard-${index}.faiss`);
  writeFileSync(path, file);
  const ids = encodeShardRows(shard.rows);
  writeFileSync(join(directory, `shard-${index}.ids.jsonl`), ids);
  shardBytes += file.length;
  idsBytes += Buffer.byteLength(ids);
  idsBytesEveryRowFull += shard.rows.reduce((sum, row) => sum + Buffer.byteLength(JSON.stringify(row)) + 1, 0);
  written.push({ file: path, sha256: createHash('sha256').update(file).digest('hex'), rows: shard.rows.length });
}
log(`wrote ${(shardBytes / 2 ** 30).toFixed(2)} GiB of shards, ${(idsBytes / 2 ** 20).toFixed(1)} MiB of ids`);

function fillUnitRows(out: Float32Array, width: number, source: SeededRandom): void {
  let state = Math.floor(source.next() * 2 ** 32) >>> 0 || 1;
  for (let row = 0; row < out.length / width; row += 1) {
    let norm = 0;
    const base = row * width;
    for (let c = 0; c < width; c += 1) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      const value = (state >>> 0) / 0xffffffff - 0.5;
      out[base + c] = value;
      norm += value * value;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let c = 0; c < width; c += 1) out[base + c]! *= scale;
  }
}

const threads = availableParallelism();
const pool = await SearchThreadPool.start(threads, { blasDatabaseBlock: 32_768, blasQueryBlock: 0, blasThreshold: Number(options['blas-threshold']) });
const viewKey = 'cost';
let residentBytes = 0;
for (const [index, shard] of written.entries()) {
  const loaded = await readShardIntoSharedMemory(shard.file, shard.sha256);
  residentBytes += loaded.vectors.byteLength;
  pool.addShard(`cost/${index}`, dim, loaded.vectors);
}
pool.addView(
  viewKey,
  written.map((_, index) => ({ shardKey: `cost/${index}`, excluded: null })),
);
const rowsAsked = Number(options.rows);
const querySegments30 = planSegments(30 * SAMPLE_RATE, SAMPLE_RATE, settings).length;
const querySegments5 = planSegments(5 * SAMPLE_RATE, SAMPLE_RATE, settings).length;
const timings: Record<string, number[]> = {};
for (const [label, count] of [
  ['one segment', 1],
  [`5 s query (${querySegments5} segment${querySegments5 > 1 ? 's' : ''})`, querySegments5],
  [`30 s query (${querySegments30} segments)`, querySegments30],
] as const) {
  const list: number[] = [];
  for (let run = 0; run <= Number(options.repeat); run += 1) {
    const queries = new Float32Array(count * dim);
    fillUnitRows(queries, dim, generator);
    const started = performance.now();
    await pool.search(viewKey, totalRows, dim, queries, rowsAsked);
    if (run > 0) list.push(performance.now() - started); // the first warms caches
  }
  timings[label] = list;
}
await pool.close();
if (!options.keep) rmSync(directory, { recursive: true, force: true });

const p50 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;
const perHour = (value: number) => value / hours;
console.log('```sh');
console.log(
  `npx tsx bench/segments/cost.ts --segment ${settings.segmentSeconds} --hop ${settings.hopSeconds} --hours ${hours} --model ${options.model}${options['blas-threshold'] === '0' ? '' : ` --blas-threshold ${options['blas-threshold']}`}`,
);
console.log('```');
console.log('');
console.log(
  `Model ${model.description}: d = ${dim}. ${archive.length} recordings of 5-120 min (log-uniform), ${hours} h in all; ${shards.length} shards of at most ${rowsPerShard} rows (${mib(Number(options['shard-bytes']))}, COMPACTION_TARGET_SHARD_BYTES); ${threads} search threads (${cpus()[0]?.model ?? 'CPU'}), addon as the API loads it; ${rowsAsked} rows asked per query segment (what the API asks for k = 10); p50 of ${options.repeat} searches after one warm-up.`,
);
console.log(`\`cat /proc/loadavg\` before: ${loadBefore}; after: ${readFileSync('/proc/loadavg', 'utf8').trim()}.`);
console.log('');
console.log(
  `| segment / hop | rows | shard bytes | ids.jsonl bytes (url + metadata on a run's first row) | ids.jsonl if every row were full | resident vectors | ${Object.keys(
    timings,
  )
    .map((label) => `search p50, ${label}`)
    .join(' | ')} |`,
);
console.log(
  `|---|---|---|---|---|---|${Object.keys(timings)
    .map(() => '---|')
    .join('')}`,
);
console.log(
  `| ${settings.segmentSeconds} / ${settings.hopSeconds} | ${totalRows.toLocaleString('en-US')} | ${mib(shardBytes)} | ${mib(idsBytes)} | ${mib(idsBytesEveryRowFull)} | ${mib(residentBytes)} | ${Object.values(
    timings,
  )
    .map((list) => `${p50(list).toFixed(1)} ms`)
    .join(' | ')} |`,
);
console.log('');
console.log(
  `Per hour of audio: ${perHour(totalRows).toFixed(0)} rows, ${(perHour(shardBytes) / 2 ** 20).toFixed(2)} MiB of shard, ${(perHour(idsBytes) / 2 ** 10).toFixed(0)} KiB of ids.`,
);
