import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Queue, type Job } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import {
  BatchLedger,
  CollectionCommands,
  compareStreamIds,
  jobCatalog,
  readLatestManifest,
  snapshotLayout,
  type IngestItemPayload,
  type Manifest,
} from '@audio-index/shared';
import { closeAll, connectTestRedis } from '../harness/test-services.ts';
import { IndexerProcess } from './support/indexer-process.ts';
import {
  createIndexerTestSetup,
  feedVectors,
  readVisibleRows,
  segmentRows,
  segmentSpan,
  segmentVectorFor,
  type IndexerTestSetup,
  type VisibleRow,
} from './support/indexer-test-setup.ts';
import { waitFor } from './support/wait-for.ts';

const DIM = 16;
/** Recording i has 1 + (i * 7) % 23 segments: one row up to 23 rows (a minute of audio). */
const segmentsOf = (id: string) => 1 + ((Number(id.split('-')[1]) * 7) % 23);

function byRecording(rows: readonly VisibleRow[]): Map<string, VisibleRow[]> {
  const grouped = new Map<string, VisibleRow[]>();
  for (const row of rows) grouped.set(row.id, [...(grouped.get(row.id) ?? []), row]);
  return grouped;
}

/** Every recording in `expected` shows exactly its rows, in time order, with `revision`'s vectors; nothing else shows. */
function expectRecordings(rows: readonly VisibleRow[], expected: Map<string, number>): void {
  const grouped = byRecording(rows);
  expect([...grouped.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [id, revision] of expected) {
    const recordingRows = grouped.get(id)!;
    expect(recordingRows, `rows of ${id}`).toHaveLength(segmentsOf(id));
    recordingRows.forEach((row, segment) => {
      expect({ start: row.start, end: row.end }).toEqual(segmentSpan(segment));
      expect(Array.from(row.vector)).toEqual(Array.from(segmentVectorFor(id, segment, DIM, revision)));
    });
  }
}

/**
 * A segment shard is still a plain IndexFlatIP file for Python's Faiss, and its ids file reads
 * with the documented rule (a row without url continues the recording above it).
 */
async function expectPythonReadsShard(setup: IndexerTestSetup, shardId: string): Promise<void> {
  const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'segment-shard-'));
  const indexPath = path.join(directory, 'shard.faiss');
  const idsPath = path.join(directory, 'shard.ids.jsonl');
  fs.writeFileSync(indexPath, (await setup.store.get(snapshotLayout.shardIndex(setup.collection, shardId)))!);
  fs.writeFileSync(idsPath, (await setup.store.get(snapshotLayout.shardIds(setup.collection, shardId)))!);
  const script = [
    'import json, sys, faiss, numpy as np',
    'index = faiss.read_index(sys.argv[1])',
    'rows = [json.loads(line) for line in open(sys.argv[2])]',
    'for previous, row in zip([None] + rows, rows):',
    '    if previous and row["id"] == previous["id"] and "url" not in row: row["url"] = previous.get("url")',
    'stored = index.reconstruct(5).reshape(1, -1)',
    'D, I = index.search(stored, 1)',
    'print(json.dumps({"ntotal": index.ntotal, "d": index.d, "top": int(I[0][0]), "score": float(D[0][0]), "row5": rows[5], "rows": len(rows)}))',
  ].join('\n');
  const answer = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, indexPath, idsPath], { encoding: 'utf8' })) as {
    ntotal: number;
    d: number;
    top: number;
    score: number;
    rows: number;
    row5: { id: string; url: string; start: number; end: number };
  };
  fs.rmSync(directory, { recursive: true });
  expect(answer).toMatchObject({ d: DIM, top: 5, rows: answer.ntotal });
  expect(answer.score).toBeCloseTo(1, 5);
  expect(answer.row5.url).toBe(`https://example.org/${answer.row5.id}.mp3`);
  expect(answer.row5.end - answer.row5.start).toBe(5);
}

describe('recordings of many segments through the indexer (real processes)', () => {
  const processes: IndexerProcess[] = [];
  const queues: Queue[] = [];
  afterAll(async () => {
    await Promise.all(queues.map((queue) => queue.close()));
    await Promise.all(processes.map((indexer) => indexer.kill()));
    await closeAll();
  });
  const output = () => processes.map((indexer) => indexer.output()).join('\n');

  async function waitForOffset(setup: IndexerTestSetup, entryId: string): Promise<Manifest> {
    let manifest: Manifest | undefined;
    await waitFor(
      async () => {
        manifest = await readLatestManifest(setup.store, setup.collection);
        return manifest !== undefined && compareStreamIds(manifest.streamOffset, entryId) >= 0;
      },
      20_000,
      output,
    );
    return manifest!;
  }

  it("upserts, deletes, compacts and rolls back all of a recording's rows at once, counting recordings and segments apart", { timeout: 90_000 }, async () => {
    // Merges of every 2 shards and rewrites of any tombstoned shard: compaction runs on every change.
    const setup = await createIndexerTestSetup({ COMPACTION_FAN_IN: '2', COMPACTION_MAX_TOMBSTONE_RATIO: '0' });
    const redis = connectTestRedis();
    const ledger = new BatchLedger(redis, setup.keys);
    const commands = new CollectionCommands(redis, setup.keys);
    const ids = Array.from({ length: 30 }, (_, index) => `rec-${index}`);
    const totalRows = (list: string[]) => list.reduce((sum, id) => sum + segmentsOf(id), 0);
    processes.push(new IndexerProcess(setup.env));

    await ledger.createBatch(setup.collection, 'first', ids.length);
    for (let first = 0; first < ids.length; first += 10) await feedVectors(redis, setup, 'first', ids.slice(first, first + 10), { dim: DIM, segmentsOf });
    await waitFor(async () => (await ledger.status('first'))?.state === 'done', 20_000, output);
    expect(await ledger.status('first')).toMatchObject({ total: 30, indexed: 30, failed: 0 });
    const before = (await readLatestManifest(setup.store, setup.collection))!;
    expect(before).toMatchObject({ recordings: 30, count: totalRows(ids) });
    expectRecordings((await readVisibleRows(setup.store, setup.collection))!.rows, new Map(ids.map((id) => [id, 0])));
    await expectPythonReadsShard(setup, before.shards[0]!.id);

    // Re-ingest ten recordings (new vectors, same cutting) and delete five.
    await ledger.createBatch(setup.collection, 'again', 10);
    await feedVectors(redis, setup, 'again', ids.slice(0, 10), { dim: DIM, revision: 1, segmentsOf });
    let lastDelete = '';
    for (const id of ids.slice(10, 15)) lastDelete = await commands.deleteItem(setup.collection, id);
    const changed = await waitForOffset(setup, lastDelete);
    const remaining = [...ids.slice(0, 10), ...ids.slice(15)];
    expect(changed).toMatchObject({ recordings: 25, count: totalRows(remaining) });
    expect(await ledger.status('again')).toMatchObject({ total: 10, indexed: 10 });
    expectRecordings((await readVisibleRows(setup.store, setup.collection))!.rows, new Map(remaining.map((id) => [id, ids.indexOf(id) < 10 ? 1 : 0])));
    // Merges ran: the rows now sit in fewer shards than were published, runs intact (checked above).
    await waitFor(async () => (await readLatestManifest(setup.store, setup.collection))!.shards.length === 1, 20_000, output);
    expectRecordings((await readVisibleRows(setup.store, setup.collection))!.rows, new Map(remaining.map((id) => [id, ids.indexOf(id) < 10 ? 1 : 0])));

    // Rollback to the first version: every recording again with all its first rows.
    const activation = await commands.activateVersion(setup.collection, before.version);
    const rolledBack = await waitForOffset(setup, activation);
    expect(rolledBack).toMatchObject({ recordings: 30, count: totalRows(ids) });
    expectRecordings((await readVisibleRows(setup.store, setup.collection))!.rows, new Map(ids.map((id) => [id, 0])));

    // A recording re-cut into fewer rows replaces all of its old rows.
    await ledger.createBatch(setup.collection, 'shorter', 1);
    await ledger.recordEmbedded(setup.collection, 'job-shorter', {
      op: 'upsert',
      id: 'rec-3',
      url: 'https://example.org/rec-3.mp3',
      modelId: 'test-model',
      dim: DIM,
      batchId: 'shorter',
      ...segmentRows('rec-3', 2, DIM, 5),
    });
    await waitFor(async () => (await ledger.status('shorter'))?.state === 'done', 20_000, output);
    const rows = byRecording((await readVisibleRows(setup.store, setup.collection))!.rows);
    expect(rows.get('rec-3')!.map((row) => Array.from(row.vector))).toEqual([0, 1].map((segment) => Array.from(segmentVectorFor('rec-3', segment, DIM, 5))));
    expect(rows.size).toBe(30);
  });

  it('reindexes recordings of many segments into a new generation, each with all its new rows once', { timeout: 90_000 }, async () => {
    const setup = await createIndexerTestSetup();
    const redis = connectTestRedis();
    const ledger = new BatchLedger(redis, setup.keys);
    const commands = new CollectionCommands(redis, setup.keys);
    const queue = new Queue(jobCatalog.ingestItem.queue, { connection: redis, prefix: setup.keys.queuePrefix });
    queues.push(queue);
    processes.push(new IndexerProcess(setup.env));
    const ids = Array.from({ length: 12 }, (_, index) => `rec-${index}`);
    await ledger.createBatch(setup.collection, 'first', ids.length);
    await feedVectors(redis, setup, 'first', ids, { dim: DIM, segmentsOf });
    await waitFor(async () => (await ledger.status('first'))?.state === 'done', 20_000, output);

    const { reindexId } = await commands.requestReindex(setup.collection, { mode: 'all' });
    let jobs: Job<IngestItemPayload>[] = [];
    await waitFor(async () => (jobs = (await queue.getJobs(['waiting', 'prioritized'])) as Job<IngestItemPayload>[]).length === ids.length, 20_000, output);
    // One re-embed job per recording, not per segment.
    expect(jobs.map((job) => job.data.itemId).sort()).toEqual([...ids].sort());
    for (const job of jobs) {
      await ledger.recordEmbedded(setup.collection, job.id!, {
        op: 'upsert',
        id: job.data.itemId,
        url: job.data.url,
        modelId: 'test-model',
        dim: DIM,
        batchId: job.data.batchId,
        generation: job.data.generation,
        ...segmentRows(job.data.itemId, segmentsOf(job.data.itemId), DIM, 2),
      });
    }
    await waitFor(async () => (await ledger.status(reindexId))?.state === 'done', 30_000, output);
    expect(await ledger.status(reindexId)).toMatchObject({ total: ids.length, indexed: ids.length, failed: 0 });
    const manifest = (await readLatestManifest(setup.store, setup.collection))!;
    expect(manifest).toMatchObject({ generation: 2, recordings: ids.length, count: ids.reduce((sum, id) => sum + segmentsOf(id), 0) });
    expectRecordings((await readVisibleRows(setup.store, setup.collection))!.rows, new Map(ids.map((id) => [id, 2])));
  });
});
