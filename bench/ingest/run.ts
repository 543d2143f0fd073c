/**
 * Ingest benchmark (not a test). Run from the repo root:
 *
 *   npx tsx bench/ingest/run.ts [--files 300] [--long 4] [--two-minute 40]
 *
 * End to end (accepted -> searchable), on the same files served over local HTTP, in one run:
 *  - the plain loop (plain-loop.ts): fetch, ffmpeg decode, embed with one ONNX session, Faiss add,
 *    with ONNX intra-op threads 1 and 2; the faster is the reference, and it runs again after
 *    the system rows so drift in the machine's load shows;
 *  - the system at default settings (system-run.ts): `npm start` (one process), and api +
 *    indexer + 1 or 2 worker processes, from POST /v1/ingest to the batch's state `done`;
 *    the per-stage breakdown comes from the processes' own /metrics.
 * Short clips (copyRecordings) and long recordings (buildLongRecordings). Writes RESULTS.md.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startLocalRedisServer } from '../../test/harness/local-redis-server.ts';
import { serveDirectory } from '../../test/support/static-file-server.ts';
import { loadWorkerConfig } from '@audio-index/worker';
import { copyRecordings } from './corpus.ts';
import { buildLongRecordings } from './long-recordings.ts';
import { plainLoop, type LoopOutcome } from './plain-loop.ts';
import { STAGES, systemRun, type Layout, type SystemOutcome } from './system-run.ts';

function argument(name: string, fallback: number): number {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? Number(process.argv[index + 1]) : fallback;
}

const FILES = argument('files', 300);
/** `--out FILE`: where the tables go (default RESULTS.md beside this file), so trial runs leave the record alone. */
const outIndex = process.argv.indexOf('--out');
const OUT = outIndex >= 0 ? path.resolve(process.argv[outIndex + 1]!) : path.join(path.dirname(fileURLToPath(import.meta.url)), 'RESULTS.md');
/** `--layouts npm-start,1,2`: only these system rows (npm start, N worker processes), for a quick A/B. */
const layoutsIndex = process.argv.indexOf('--layouts');
const LAYOUTS = layoutsIndex >= 0 ? process.argv[layoutsIndex + 1]!.split(',') : undefined;
/** Hand-written A/B notes below this heading survive a rewrite of the tables. */
const KEPT_HEADING = '## Status against issue 13';
const LONG = argument('long', 4);
/** `--two-minute N`: a third set, N recordings of 2 minutes each (issue 13's long figure is 40 of them). */
const TWO_MINUTE = argument('two-minute', 0);
/** `--set NAME=value` (repeatable): a setting for every system process, to weigh a default against another. */
const overrides: Record<string, string> = Object.fromEntries(
  process.argv.flatMap((value, index) => (process.argv[index - 1] === '--set' ? [value.split(/=(.*)/s).slice(0, 2) as [string, string]] : [])),
);
const command = `npx tsx bench/ingest/run.ts --files ${FILES} --long ${LONG}${TWO_MINUTE > 0 ? ` --two-minute ${TWO_MINUTE}` : ''}${LAYOUTS ? ` --layouts ${LAYOUTS.join(',')}` : ''}${Object.entries(
  overrides,
)
  .map(([name, value]) => ` --set ${name}=${value}`)
  .join('')}`;
/** The segmentation a new collection gets by default, which the loop must cut alike. */
const DEFAULT_SEGMENTATION = loadWorkerConfig({}).segmentation;
const loadavg = () => fs.readFileSync('/proc/loadavg', 'utf8').trim();

interface Row {
  setup: string;
  loadavg: string;
  seconds: number;
  items: number;
  failed: number;
  audioSeconds: number;
  stages: Record<string, number>;
  cpuSeconds: number;
  machineCpuSeconds: number;
  note?: string;
}

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-ingest-'));
const redis = await startLocalRedisServer();
const sections: string[] = [];
let runNumber = 0;

try {
  const shortNames = FILES > 0 ? copyRecordings(path.join(scratch, 'short'), FILES) : [];
  if (FILES > 0)
    sections.push(
      await corpus(
        `Short clips: ${shortNames.length} real recordings (sound-theme-freedesktop OGG, Asterisk 8 kHz WAV prompts)`,
        path.join(scratch, 'short'),
        shortNames,
      ),
    );
  if (LONG > 0) {
    const longNames = buildLongRecordings(path.join(scratch, 'long'), LONG);
    sections.push(
      await corpus(`Long recordings: ${longNames.join(', ')} (Asterisk prompts read one after another, 16 kHz)`, path.join(scratch, 'long'), longNames),
    );
  }
  if (TWO_MINUTE > 0) {
    const names = buildLongRecordings(path.join(scratch, 'two-minute'), TWO_MINUTE, { twoMinutes: true });
    sections.push(
      await corpus(
        `Two-minute recordings: ${names.length} of them, MP3, WAV, FLAC and OGG by turns (Asterisk prompts read one after another, 16 kHz)`,
        path.join(scratch, 'two-minute'),
        names,
      ),
    );
  }
} finally {
  await redis.stop();
  fs.rmSync(scratch, { recursive: true, force: true });
}

const results = `# Ingest benchmark

End to end, accepted to searchable, against a plain sequential loop on the same files in the same run.
Measured ${new Date().toISOString().slice(0, 10)} on ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version},
the default model, a local redis-server, a local directory store, files over local HTTP.

**The machine is shared and was heavily loaded** (other engineers' test runs; \`/proc/loadavg\` is
printed beside every row, with 2 cores a load of 10-30 means each runnable thread gets a fraction of
a core). Only the ratios between rows of one table, measured minutes apart, mean anything; absolute
times do not compare across tables or days. A process with more runnable threads also gets a larger
share of a contended machine than a single-threaded loop does, which flatters the pipeline under load.

\`\`\`sh
${command}
\`\`\`

${sections.join('\n\n')}

How to read it:
- "plain loop": one process, one item at a time, no queue: fetch over HTTP into a file, ffmpeg decode
  (the pipeline's decoder and arguments), each segment embedded with the same ONNX model in one session
  on the main thread (segments as the system cuts them, ${DEFAULT_SEGMENTATION.segmentSeconds} s every ${DEFAULT_SEGMENTATION.hopSeconds} s), L2-normalise, faiss-node \`IndexFlatIP.add\`,
  and the index file written at the end. Timed from the first fetch, session already loaded.
  Run with ONNX intra-op threads 1 and 2; the faster before the system rows is the reference ("vs loop").
  "plain loop, shared frames": the same loop embedding each recording as the system's embedder does
  (docs/shared-frames.md: one front-end run per 16 overlapping segments), one model call at a time;
  "vs shared-frames loop" compares with it, so what the pipeline adds is told apart from what the
  shared spectrogram saves.
  It runs once more after the system rows: the gap between the two loop rows is the drift of the machine's load.
- system rows: default settings, only Redis, namespace, store, ports and \`ALLOW_PRIVATE_NETWORKS\` set.
  Timed from \`POST /v1/ingest\` to \`GET /v1/batches/:id\` answering \`state: done\` (every item in a
  snapshot that LATEST names). Start-up is not timed (the loop's session load is not either).
- CPU s: CPU seconds (user + system) the row's own processes used while timed, ffmpeg children included
  (the loop's also include the bench's file server, which runs in its process); in brackets the whole
  machine's, which also holds Redis, the file server and anything else running. With 2 cores a row can use
  at most 2 x wall.
- stage columns: mean seconds per item from the processes' \`audio_index_ingest_stage_seconds\`
  histograms (worker: queue_wait, fetch, decode, embed, stream_append; indexer: publish per publish
  step, served = stream append to LATEST, per item). Stages overlap across concurrent jobs, so they
  do not add up to the wall time; for the loop they do (its faiss_add is shown as stream_append).
`;
const previous = fs.existsSync(OUT) ? fs.readFileSync(OUT, 'utf8') : '';
const kept = previous.includes(KEPT_HEADING) ? `\n${previous.slice(previous.indexOf(KEPT_HEADING))}` : '';
fs.writeFileSync(OUT, results + kept);
console.log(results);

async function corpus(title: string, directory: string, names: string[]): Promise<string> {
  const files = await serveDirectory(directory);
  const urls = names.map((name) => files.urlOf(name));
  const rows: Row[] = [];
  try {
    const loops: Row[] = [];
    for (const intraOp of [1, 2]) loops.push(loopRow(`plain loop, intra-op ${intraOp}`, loadavg(), await plainLoop(urls, DEFAULT_SEGMENTATION, intraOp)));
    const reference = loops.reduce((best, row) => (row.seconds < best.seconds ? row : best));
    const sharedFramesLoop = loopRow(
      'plain loop, shared frames, intra-op 1',
      loadavg(),
      await plainLoop(urls, DEFAULT_SEGMENTATION, 1, { sharedFrames: true }),
    );
    rows.push(...loops, sharedFramesLoop);
    const layouts: [string, Layout][] = [
      ['npm start (api + worker + indexer, 1 process)', { kind: 'npm-start' }],
      ['api + indexer + 1 worker process', { kind: 'processes', workers: 1 }],
      ['api + indexer + 2 worker processes', { kind: 'processes', workers: 2 }],
    ];
    for (const [setup, layout] of layouts.filter(
      ([, layout]) => !LAYOUTS || LAYOUTS.includes(layout.kind === 'npm-start' ? 'npm-start' : String(layout.workers)),
    )) {
      const load = loadavg();
      rows.push(
        systemRow(
          setup,
          load,
          await systemRun(layout, urls, { redisUrl: redis.connection, scratch, env: overrides, tag: `b${++runNumber}${Date.now().toString(36)}` }),
          reference,
        ),
      );
    }
    const again = reference.setup.endsWith('1') ? 1 : 2;
    rows.push(loopRow(`plain loop, intra-op ${again}, again`, loadavg(), await plainLoop(urls, DEFAULT_SEGMENTATION, again)));
    return table(title, rows, reference, sharedFramesLoop);
  } finally {
    await files.close();
  }
}

function loopRow(setup: string, load: string, outcome: LoopOutcome): Row {
  console.log(setup, outcome.seconds.toFixed(1), 's');
  const { faiss_add, ...stages } = outcome.stages;
  return {
    setup,
    loadavg: load,
    seconds: outcome.seconds,
    items: outcome.items,
    failed: outcome.failed,
    audioSeconds: outcome.audioSeconds,
    stages: { ...stages, stream_append: faiss_add },
    cpuSeconds: outcome.cpuSeconds,
    machineCpuSeconds: outcome.machineCpuSeconds,
  };
}

function systemRow(setup: string, load: string, outcome: SystemOutcome, reference: Row): Row {
  console.log(setup, outcome.seconds.toFixed(1), 's', JSON.stringify(outcome.stages));
  return {
    setup,
    loadavg: load,
    seconds: outcome.seconds,
    items: outcome.indexed,
    failed: outcome.failed,
    audioSeconds: reference.audioSeconds,
    stages: outcome.stages,
    cpuSeconds: outcome.cpuSeconds,
    machineCpuSeconds: outcome.machineCpuSeconds,
    note: `${outcome.publishes} publishes`,
  };
}

function table(title: string, rows: Row[], reference: Row, sharedFramesLoop: Row): string {
  const cell = (seconds: number | undefined) => (seconds === undefined ? '' : seconds < 1 ? `${(seconds * 1000).toFixed(0)} ms` : `${seconds.toFixed(2)} s`);
  const lines = [
    `### ${title}`,
    '',
    `${(reference.audioSeconds / 60).toFixed(1)} minutes of audio. Reference: ${reference.setup}.`,
    '',
    `| setup | wall | items/s | audio / wall | vs loop | vs shared-frames loop | CPU s (machine) | failed | ${STAGES.join(' | ')} | \`cat /proc/loadavg\` at start |`,
    `|---|---|---|---|---|---|---|---|${STAGES.map(() => '---').join('|')}|---|`,
    ...rows.map(
      (row) =>
        `| ${row.setup}${row.note ? ` (${row.note})` : ''} | ${row.seconds.toFixed(1)} s | ${(row.items / row.seconds).toFixed(2)} | ${(row.audioSeconds / row.seconds).toFixed(0)}x | ${(reference.seconds / row.seconds).toFixed(2)}x | ${(sharedFramesLoop.seconds / row.seconds).toFixed(2)}x | ${row.cpuSeconds.toFixed(1)} (${row.machineCpuSeconds.toFixed(1)}) | ${row.failed} | ` +
        `${STAGES.map((stage) => cell(row.stages[stage])).join(' | ')} | ${row.loadavg} |`,
    ),
  ];
  return lines.join('\n');
}
