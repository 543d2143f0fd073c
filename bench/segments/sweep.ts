/**
 * Offline sweep over segment settings: every recording of the long-recording set embedded
 * with `createEmbedder` + `embedSegments` (the worker's decoder in front), every excerpt query
 * cut and embedded the same way, exact dot products and the offset voting of
 * docs/segments.md in TypeScript (segment-search.ts). No Redis, store or API.
 *
 *   npx tsx bench/segments/sweep.ts [--settings 2.5/1.25,5/2.5,...] [--short 40] [--long 3] [--threads 1]
 *
 * --short / --long  how many of the ~2-minute / 20-minute recordings to index (a subset is
 *                   quicker; queries of left-out recordings are dropped)
 * Embeddings are cached under bench/segments/.cache (per model and setting).
 */
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createEmbedder, type SegmentSettings } from '@audio-index/embedding';
import { CACHE_DIRECTORY } from './cache-directory.ts';
import { DEFAULT_QUERIES, ensureExcerptQueries, VARIANTS } from './excerpt-queries.ts';
import { DEFAULT_SET, ensureLongRecordingSet } from './long-recording-set.ts';
import { meetsTargets, summariseByLength, TARGETS, type QueryOutcome } from './query-outcomes.ts';
import { DEFAULT_VOTING, SegmentIndex } from './segment-search.ts';
import { decodeAsWorker, embedFiles } from './segment-embeddings.ts';
import { describeSet } from './set-summary.ts';
import { resolveModel } from './pinned-model.ts';
import { ensureDebianPackages } from './source-audio.ts';

const { values: options } = parseArgs({
  options: {
    model: { type: 'string', default: 'git:HEAD' },
    settings: { type: 'string', default: '2.5/1.25,3/1.5,4/2,5/2.5,5/1,5/5,10/5' },
    short: { type: 'string', default: String(DEFAULT_SET.shortRecordings) },
    long: { type: 'string', default: String(DEFAULT_SET.longRecordings) },
    threads: { type: 'string', default: '1' },
  },
});
const log = (line: string) => console.error(`[bench/segments] ${line}`);
const settingsList: SegmentSettings[] = options.settings.split(',').map((text) => {
  const [segmentSeconds, hopSeconds] = text.split('/').map(Number);
  return { segmentSeconds: segmentSeconds!, hopSeconds: hopSeconds! };
});

const started = performance.now();
const loadBefore = loadavg()
  .map((v) => v.toFixed(2))
  .join(' ');
await ensureDebianPackages(log);
const set = await ensureLongRecordingSet(CACHE_DIRECTORY, DEFAULT_SET, log);
const allQueries = await ensureExcerptQueries(set, DEFAULT_QUERIES, log);
const shortIds = set.recordings.filter((r) => !r.id.startsWith('long-')).slice(0, Number(options.short));
const longIds = set.recordings.filter((r) => r.id.startsWith('long-')).slice(0, Number(options.long));
const recordings = [...shortIds, ...longIds];
const kept = new Set(recordings.map((r) => r.id));
const queries = allQueries.filter((q) => kept.has(q.recording));
const indexedHours = recordings.reduce((sum, r) => sum + r.seconds, 0) / 3600;
log(`${recordings.length} recordings (${(indexedHours * 60).toFixed(1)} min), ${queries.length} queries`);

/** Each file decoded once per run (by the worker's decoder), whatever the number of settings. */
const decoded = new Map<string, Promise<Float32Array>>();
const model = resolveModel(options.model);
const embedder = await createEmbedder({ model: model.model, executionProvider: 'cpu', threads: Number(options.threads) });
const f3 = (value: number) => value.toFixed(3);
const lengths = [...new Set(queries.map((q) => q.seconds))].sort((a, b) => a - b);

function formatRow(row: Row): string {
  const cells = lengths.flatMap((length) => {
    const { byVariant } = row.summary.get(length)!;
    return [VARIANTS.map((v) => f3(byVariant.get(v)!.recallAt1)).join(' / '), VARIANTS.map((v) => f3(byVariant.get(v)!.located)).join(' / ')];
  });
  const search = lengths.map((l) => row.searchMsPerQuery[l]!.toFixed(1)).join(', ');
  return `| ${row.settings.segmentSeconds} / ${row.settings.hopSeconds} | ${(row.rows / indexedHours).toFixed(0)} | ${row.embedSecondsPerHour.toFixed(0)} | ${cells.join(' | ')} | ${search} | ${meetsTargets(row.summary) ? '✓' : '✗'} |`;
}

interface Row {
  settings: SegmentSettings;
  rows: number;
  embedSecondsPerHour: number;
  searchMsPerQuery: Record<number, number>;
  summary: ReturnType<typeof summariseByLength>;
}
const rows: Row[] = [];
try {
  for (const settings of settingsList) {
    const tag = `${embedder.modelId}-${settings.segmentSeconds}-${settings.hopSeconds}`;
    log(`${settings.segmentSeconds}/${settings.hopSeconds}: embedding recordings`);
    const indexRun = await embedFilesCached(
      recordings.map((r) => ({ name: r.id, file: r.file })),
      settings,
      join(CACHE_DIRECTORY, `embeddings-${set.key}`, `${tag}-recordings-${shortIds.length}-${longIds.length}`),
    );
    const index = new SegmentIndex(
      embedder.dim,
      indexRun.items.map((item) => ({ id: item.name, seconds: item.seconds, segments: item.segments, vectors: item.vectors })),
    );
    log(`${settings.segmentSeconds}/${settings.hopSeconds}: ${index.rows} rows; embedding queries`);
    const queryRun = await embedFilesCached(
      queries.map((q) => ({ name: q.name, file: q.file })),
      settings,
      join(CACHE_DIRECTORY, `embeddings-${set.key}`, `${tag}-queries-${queries.length}`),
      4,
    );
    const embeddedQuery = new Map(queryRun.items.map((item) => [item.name, item]));
    const outcomes: QueryOutcome[] = [];
    const searchMs = new Map<number, number[]>();
    for (const query of queries) {
      const embedded = embeddedQuery.get(query.name)!;
      const t0 = performance.now();
      const [top] = index.search(embedded, settings, 1, DEFAULT_VOTING);
      const list = searchMs.get(query.seconds) ?? [];
      list.push(performance.now() - t0);
      searchMs.set(query.seconds, list);
      outcomes.push({ query, top: top ? { id: top.id, start: top.match.start } : undefined });
    }
    const summary = summariseByLength(outcomes);
    rows.push({
      settings,
      rows: index.rows,
      embedSecondsPerHour: indexRun.embedSeconds / (indexRun.audioSeconds / 3600),
      searchMsPerQuery: Object.fromEntries([...searchMs].map(([length, list]) => [length, median(list)])),
      summary,
    });
    log(`row: ${formatRow(rows.at(-1)!)}`);
    log(
      `${settings.segmentSeconds}/${settings.hopSeconds}: ${[...summary].map(([length, s]) => `${length}s R@1 ${s.all.recallAt1.toFixed(3)} located ${s.all.located.toFixed(3)}`).join('; ')}`,
    );
  }
} finally {
  await embedder.close();
}

function samplesOf(file: string): Promise<Float32Array> {
  let samples = decoded.get(file);
  if (!samples) decoded.set(file, (samples = decodeAsWorker(file, embedder.sampleRate)));
  return samples;
}

/** Recordings one at a time (their embedding time is the cost reported); queries 4 at a time (ffmpeg start-up dominates). */
function embedFilesCached(files: { name: string; file: string }[], settings: SegmentSettings, cacheFile: string, inFlight = 1) {
  return embedFiles(embedder, files, settings, cacheFile, log, samplesOf, inFlight);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

const variantNames = VARIANTS.join(' / ');
console.log(
  `\`\`\`sh\nnpx tsx bench/segments/sweep.ts --model ${options.model} --settings ${options.settings} --short ${options.short} --long ${options.long} --threads ${options.threads}\n\`\`\``,
);
console.log('');
console.log(`${describeSet(set, allQueries)}`);
console.log(
  `Indexed here: ${recordings.length} recordings, ${(indexedHours * 60).toFixed(1)} min; ${queries.length} queries. Voting as the API does for k = 10: top ${DEFAULT_VOTING.hitsPerSegment} rows per query segment, cosine-weighted votes, ${DEFAULT_VOTING.offsetsPerRecording} offsets of each of the ${DEFAULT_VOTING.recordingsScored} best-voted recordings scored exactly. Model \`${embedder.modelId}\` (dim ${embedder.dim}; ${model.description}).`,
);
console.log(
  `\`cat /proc/loadavg\` before: ${loadBefore}; after: ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')} (${cpus().length} cores, shared). Whole run ${((performance.now() - started) / 1000).toFixed(0)} s.`,
);
console.log('');
console.log(
  `Cells per excerpt length: ${variantNames}. "located": ranked first and \`match.start\` within 2.5 s of the true offset. Targets (worst variant): 5 s ≥ ${TARGETS[5]}, 30 s ≥ ${TARGETS[30]}.`,
);
console.log('');
console.log(
  `| segment / hop | rows per hour | embed s per audio hour | ${lengths.map((l) => `${l} s R@1 | ${l} s located`).join(' | ')} | search ms per query (${lengths.map((l) => `${l} s`).join(', ')}) | targets |`,
);
console.log(`|---|---|---|${lengths.map(() => '---|---|').join('')}---|---|`);
for (const row of rows) console.log(formatRow(row));
