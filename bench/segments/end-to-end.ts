/**
 * The same excerpt queries through the real system: a local redis-server, the local
 * directory store, and the indexer, a worker and the API as separate processes (as
 * test/support/app-processes.ts starts them). The long recordings are ingested over HTTP as
 * file:// URLs under FILE_ROOT; each excerpt is then uploaded to POST /v1/search/audio.
 *
 *   npx tsx bench/segments/end-to-end.ts [--segment 5 --hop 2.5] [--short 40] [--long 3] [--k 10]
 *
 * Without --segment/--hop the collection gets the system's defaults (SEGMENT_SECONDS,
 * SEGMENT_HOP_SECONDS); with them, the ingest request sets the collection's segmentation.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { startLocalRedisServer } from '../../test/harness/local-redis-server.ts';
import { apiClient, startApp, type AppProcess } from '../../test/support/app-processes.ts';
import { CACHE_DIRECTORY } from './cache-directory.ts';
import { DEFAULT_QUERIES, ensureExcerptQueries, VARIANTS } from './excerpt-queries.ts';
import { DEFAULT_SET, ensureLongRecordingSet } from './long-recording-set.ts';
import { meetsTargets, summariseByLength, TARGETS, type QueryOutcome } from './query-outcomes.ts';
import { describeSet } from './set-summary.ts';
import { resolveModel } from './pinned-model.ts';
import { ensureDebianPackages } from './source-audio.ts';

const { values: options } = parseArgs({
  options: {
    model: { type: 'string', default: 'git:HEAD' },
    segment: { type: 'string' },
    hop: { type: 'string' },
    short: { type: 'string', default: String(DEFAULT_SET.shortRecordings) },
    long: { type: 'string', default: String(DEFAULT_SET.longRecordings) },
    k: { type: 'string', default: '10' },
    'worker-concurrency': { type: 'string', default: '8' },
  },
});
const log = (line: string) => console.error(`[bench/segments e2e] ${line}`);
const segmentation = options.segment && options.hop ? { segmentSeconds: Number(options.segment), hopSeconds: Number(options.hop) } : undefined;

interface BatchStatus {
  total: number;
  embedded: number;
  failed: number;
  indexed: number;
  state: string;
  failures: unknown[];
}
interface SearchAnswer {
  snapshot?: { version: number; count: number };
  results?: { id: string; score: number; match?: { start: number; end: number | null } }[];
}

const started = performance.now();
const loadBefore = readFileSync('/proc/loadavg', 'utf8').trim();
await ensureDebianPackages(log);
const set = await ensureLongRecordingSet(CACHE_DIRECTORY, DEFAULT_SET, log);
const allQueries = await ensureExcerptQueries(set, DEFAULT_QUERIES, log);
const recordings = [
  ...set.recordings.filter((r) => !r.id.startsWith('long-')).slice(0, Number(options.short)),
  ...set.recordings.filter((r) => r.id.startsWith('long-')).slice(0, Number(options.long)),
];
const kept = new Set(recordings.map((r) => r.id));
const queries = allQueries.filter((q) => kept.has(q.recording));
const audioSeconds = recordings.reduce((sum, r) => sum + r.seconds, 0);

const model = resolveModel(options.model);
const redis = await startLocalRedisServer();
const scratch = mkdtempSync(join(tmpdir(), 'bench-segments-e2e-'));
const namespace = `seg${Date.now().toString(36)}`;
const env: Record<string, string> = {
  REDIS_URL: redis.connection,
  REDIS_NAMESPACE: namespace,
  STORE_URL: `file://${join(scratch, 'store')}`,
  SHARD_CACHE_DIR: join(scratch, 'shard-cache'),
  FILE_ROOT: set.directory,
  PUBLISH_INTERVAL_MS: '1000',
  SNAPSHOT_POLL_INTERVAL_MS: '500',
  COLLECTION_DISCOVERY_INTERVAL_MS: '500',
  EMBED_THREADS: '1',
  SEARCH_THREADS: '1',
  WORKER_CONCURRENCY: options['worker-concurrency'],
  LOG_LEVEL: 'warn',
  MODEL: model.model,
};
const apps: AppProcess[] = [];
const collection = 'segments-bench';
let report = '';
try {
  // One at a time: each loads tsx and a model, and the cores are shared.
  apps.push(await startApp('indexer', env));
  apps.push(await startApp('worker', env));
  const api = await startApp('api', env);
  apps.push(api);
  const call = apiClient(() => api.url!, undefined);

  const ingestStarted = performance.now();
  const ingest = await call<{ batchId: string }>('POST', '/v1/ingest', {
    body: {
      collection,
      ...(segmentation ? { segmentation } : {}),
      items: recordings.map((r) => ({ url: `file://${r.file}`, id: r.id, metadata: { pieces: r.pieces.length, seconds: r.seconds } })),
    },
  });
  if (ingest.status !== 202) throw new Error(`ingest answered ${ingest.status}: ${JSON.stringify(ingest.body)}`);
  let embeddedAt: number | undefined;
  let status: BatchStatus;
  for (;;) {
    status = (await call<BatchStatus>('GET', `/v1/batches/${ingest.body.batchId}`)).body;
    if (embeddedAt === undefined && status.embedded + status.failed >= status.total) embeddedAt = performance.now();
    if (status.state === 'done') break;
    await sleep(250);
  }
  const indexedAt = performance.now();
  log(`batch done: ${JSON.stringify({ ...status, failures: status.failures.slice(0, 3) })}`);
  // The API serves the snapshot once it has loaded it.
  let info: { recordings?: number; segments?: number; count?: number; segmentation?: unknown };
  for (;;) {
    info = (await call<typeof info>('GET', `/v1/collections/${collection}`)).body;
    if ((info.recordings ?? info.count ?? 0) >= status.indexed) break;
    await sleep(250);
  }
  const servedAt = performance.now();
  log(`served: ${JSON.stringify(info)}`);

  const outcomes: QueryOutcome[] = [];
  const latency = new Map<number, number[]>();
  let withoutMatch = 0;
  for (const [position, query] of queries.entries()) {
    const t0 = performance.now();
    const answer = await call<SearchAnswer>('POST', `/v1/search/audio?collection=${collection}&k=${options.k}`, {
      body: readFileSync(query.file),
      headers: { 'content-type': query.contentType },
      timeoutMs: 60_000,
    });
    const ms = performance.now() - t0;
    latency.set(query.seconds, [...(latency.get(query.seconds) ?? []), ms]);
    if (answer.status !== 200) throw new Error(`search ${query.name} answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
    const top = answer.body.results?.[0];
    if (top && !top.match) withoutMatch += 1;
    outcomes.push({ query, top: top ? { id: top.id, start: top.match?.start ?? Number.NaN } : undefined });
    if ((position + 1) % 200 === 0) log(`  searched ${position + 1}/${queries.length}`);
  }
  const summary = summariseByLength(outcomes);
  const lengths = [...summary.keys()];
  const f3 = (value: number) => value.toFixed(3);
  const p50 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const embedWall = ((embeddedAt ?? indexedAt) - ingestStarted) / 1000;
  const indexWall = (indexedAt - ingestStarted) / 1000;
  report = [
    '```sh',
    `npx tsx bench/segments/end-to-end.ts --model ${options.model}${segmentation ? ` --segment ${segmentation.segmentSeconds} --hop ${segmentation.hopSeconds}` : ''} --short ${options.short} --long ${options.long} --k ${options.k}`,
    '```',
    '',
    describeSet(set, allQueries),
    `Model: ${model.description}. Ingested here: ${recordings.length} recordings, ${(audioSeconds / 60).toFixed(1)} min; collection segmentation ${JSON.stringify(info.segmentation ?? segmentation ?? 'system default')}; served ${info.recordings ?? '?'} recordings, ${info.segments ?? info.count ?? '?'} rows. ${queries.length} queries uploaded one at a time, k = ${options.k}.`,
    `\`cat /proc/loadavg\` before: ${loadBefore}; after: ${readFileSync('/proc/loadavg', 'utf8').trim()} (${cpus().length} cores, shared). Whole run ${((performance.now() - started) / 1000).toFixed(0)} s.`,
    '',
    `| ${lengths.map((l) => `${l} s R@1 | ${l} s located`).join(' | ')} | targets |`,
    `|${lengths.map(() => '---|---|').join('')}---|`,
    `| ${lengths
      .flatMap((length) => {
        const { byVariant } = summary.get(length)!;
        return [VARIANTS.map((v) => f3(byVariant.get(v)!.recallAt1)).join(' / '), VARIANTS.map((v) => f3(byVariant.get(v)!.located)).join(' / ')];
      })
      .join(' | ')} | ${meetsTargets(summary) ? '✓' : '✗'} |`,
    '',
    `Cells: ${VARIANTS.join(' / ')}. Targets (worst variant): 5 s ≥ ${TARGETS[5]}, 30 s ≥ ${TARGETS[30]}.${withoutMatch ? ` ${withoutMatch} answers had no \`match\` (search by recording not in this build): located counts them as misses.` : ''}`,
    '',
    '| ingest (1 worker, WORKER_CONCURRENCY ' + options['worker-concurrency'] + ', EMBED_THREADS 1) | wall | audio-seconds per wall second |',
    '|---|---|---|',
    `| POST /v1/ingest → every recording embedded | ${embedWall.toFixed(1)} s | ${(audioSeconds / embedWall).toFixed(0)} |`,
    `| POST /v1/ingest → batch done (indexed) | ${indexWall.toFixed(1)} s | ${(audioSeconds / indexWall).toFixed(0)} |`,
    `| POST /v1/ingest → served by the API | ${((servedAt - ingestStarted) / 1000).toFixed(1)} s | ${(audioSeconds / ((servedAt - ingestStarted) / 1000)).toFixed(0)} |`,
    '',
    `Search by upload, HTTP round trip p50 (decode + embed + search): ${lengths.map((l) => `${l} s excerpts ${p50(latency.get(l)!).toFixed(0)} ms`).join(', ')}.`,
    `Failures in the batch: ${status.failed}.`,
  ].join('\n');
} finally {
  for (const app of apps.reverse()) await app.kill('SIGTERM');
  await redis.stop();
  rmSync(scratch, { recursive: true, force: true });
}
console.log(report);
