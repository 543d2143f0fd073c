import { execFile, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, createTestBucket, uniqueName } from '../harness/test-services.ts';
import { startSystem, waitForBatch, type RunningSystem } from '../support/running-system.ts';
import { DEFAULT_MODEL_DIM } from '../support/default-model.ts';

const run = promisify(execFile);
const cliPath = path.resolve('apps/cli/bin/audio-index.js');
const ROWS = 10_000;

interface SearchBody {
  snapshot: { count: number };
  results: { id: string; score: number; metadata?: Record<string, unknown> }[];
}

describe('audio-index import: embeddings made by Python numpy', () => {
  const collection = uniqueName('import');
  let directory: string;
  let system: RunningSystem;
  let dim: number;

  beforeAll(async () => {
    directory = fs.mkdtempSync(path.join(os.tmpdir(), 'import-'));
    const { bucket } = await createTestBucket('import');
    system = await startSystem({ bucket });
    // The collection's model is the API's own, so imported vectors must have its dimension.
    dim = DEFAULT_MODEL_DIM;
    const script = [
      'import sys, json, numpy as np',
      'rows, dim, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]',
      'rng = np.random.default_rng(7)',
      'x = rng.standard_normal((rows, dim)).astype(np.float32)',
      'np.save(out + "/vectors.npy", x)',
      'with open(out + "/ids.jsonl", "w") as f:',
      '    for i in range(rows): f.write(json.dumps({"id": f"py-{i}", "metadata": {"row": i}}) + "\\n")',
    ].join('\n');
    execFileSync('/usr/bin/python3', ['-c', script, String(ROWS), String(dim), directory]);
  });

  afterAll(async () => {
    await system?.stop();
    await closeAll();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  it('imports 10,000 vectors from an .npy and finds them by vector query', async () => {
    const { stdout } = await run(
      'node',
      [
        cliPath,
        '--api',
        system.api.url,
        '--json',
        'import',
        path.join(directory, 'vectors.npy'),
        '--ids',
        path.join(directory, 'ids.jsonl'),
        '--collection',
        collection,
      ],
      {
        timeout: 180_000,
      },
    );
    const summary = JSON.parse(stdout) as { vectors: number; dim: number; batchIds: string[] };
    expect(summary).toMatchObject({ vectors: ROWS, dim });
    for (const batchId of summary.batchIds) expect((await waitForBatch(system, batchId)).failed).toBe(0);

    const npy = fs.readFileSync(path.join(directory, 'vectors.npy'));
    const headerLength = npy.readUInt16LE(8);
    const values = new Float32Array(npy.buffer.slice(npy.byteOffset + 10 + headerLength, npy.byteOffset + npy.length));
    for (const row of [0, 4321, ROWS - 1]) {
      const vector = Array.from(values.subarray(row * dim, (row + 1) * dim));
      let answer: SearchBody | undefined;
      for (let attempt = 0; attempt < 100; attempt += 1) {
        const { body } = await system.call<SearchBody>('POST', '/v1/search', { collection, k: 3, query: { vector } });
        answer = body;
        if (body.snapshot?.count === ROWS) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      expect(answer!.snapshot.count).toBe(ROWS);
      expect(answer!.results[0]).toMatchObject({ id: `py-${row}`, metadata: { row } });
      expect(answer!.results[0]!.score).toBeCloseTo(1, 4);
    }
  });

  it('imports a Faiss IndexFlatIP file written by Python faiss the same way', async () => {
    const other = uniqueName('import-faiss');
    const script = [
      'import sys, numpy as np, faiss',
      'dim, out = int(sys.argv[1]), sys.argv[2]',
      'x = np.random.default_rng(3).standard_normal((50, dim)).astype(np.float32)',
      'index = faiss.IndexFlatIP(dim); index.add(x)',
      'faiss.write_index(index, out + "/vectors.faiss")',
      'open(out + "/faiss-ids.txt", "w").write("".join(f"f-{i}\\n" for i in range(50)))',
      'np.save(out + "/faiss-rows.npy", x)',
    ].join('\n');
    execFileSync('/usr/bin/python3', ['-c', script, String(dim), directory]);
    const { stdout } = await run('node', [
      cliPath,
      '--api',
      system.api.url,
      '--json',
      'import',
      path.join(directory, 'vectors.faiss'),
      '--ids',
      path.join(directory, 'faiss-ids.txt'),
      '--collection',
      other,
    ]);
    const summary = JSON.parse(stdout) as { vectors: number; batchIds: string[] };
    expect(summary.vectors).toBe(50);
    for (const batchId of summary.batchIds) expect((await waitForBatch(system, batchId)).indexed).toBe(50);
    const npy = fs.readFileSync(path.join(directory, 'faiss-rows.npy'));
    const rows = new Float32Array(npy.buffer.slice(npy.byteOffset + 10 + npy.readUInt16LE(8), npy.byteOffset + npy.length));
    const vector = Array.from(rows.subarray(17 * dim, 18 * dim));
    for (let attempt = 0; ; attempt += 1) {
      const { body } = await system.call<SearchBody>('POST', '/v1/search', { collection: other, k: 1, query: { vector } });
      if (body.snapshot?.count === 50) {
        expect(body.results[0]!.id).toBe('f-17');
        break;
      }
      if (attempt > 100) throw new Error('imported vectors never became searchable');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  it('imports precomputed segment embeddings: rows sharing an id with start/end are one recording, never split across requests', async () => {
    const segmented = uniqueName('import-seg');
    // Three recordings of 400 segments each (5 s every 2.5 s): more rows than one request carries.
    const script = [
      'import sys, json, numpy as np',
      'dim, out = int(sys.argv[1]), sys.argv[2]',
      'x = np.random.default_rng(11).standard_normal((1200, dim)).astype(np.float32)',
      'np.save(out + "/segments.npy", x)',
      'with open(out + "/segments.jsonl", "w") as f:',
      '    for i in range(1200):',
      '        r, s = divmod(i, 400)',
      '        f.write(json.dumps({"id": f"seg-{r}", "start": s * 2.5, "end": s * 2.5 + 5, "metadata": {"recording": r}}) + "\\n")',
    ].join('\n');
    execFileSync('/usr/bin/python3', ['-c', script, String(dim), directory]);
    const { stdout } = await run('node', [
      cliPath,
      '--api',
      system.api.url,
      '--json',
      'import',
      path.join(directory, 'segments.npy'),
      '--ids',
      path.join(directory, 'segments.jsonl'),
      '--collection',
      segmented,
    ]);
    const summary = JSON.parse(stdout) as { vectors: number; batchIds: string[] };
    expect(summary.vectors).toBe(1200);
    expect(summary.batchIds).toHaveLength(3);
    for (const batchId of summary.batchIds) expect(await waitForBatch(system, batchId)).toMatchObject({ total: 1, indexed: 1, failed: 0 });

    const npy = fs.readFileSync(path.join(directory, 'segments.npy'));
    const rows = new Float32Array(npy.buffer.slice(npy.byteOffset + 10 + npy.readUInt16LE(8), npy.byteOffset + npy.length));
    const vector = Array.from(rows.subarray(650 * dim, 651 * dim)); // recording 1, segment 250
    for (let attempt = 0; ; attempt += 1) {
      const { body } = await system.call<SearchBody & { results: { match?: { start: number; end: number } }[] }>('POST', '/v1/search', {
        collection: segmented,
        k: 3,
        query: { vector },
      });
      if (body.results?.length === 3) {
        expect(body.results[0]).toMatchObject({ id: 'seg-1', metadata: { recording: 1 }, match: { start: 625, end: 630 } });
        expect(body.results[0]!.score).toBeCloseTo(1, 4);
        break;
      }
      if (attempt > 100) throw new Error('imported segments never became searchable');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  });

  it('refuses an id list that does not match the matrix', async () => {
    fs.writeFileSync(path.join(directory, 'short.txt'), 'a\nb\n');
    const failure = await run('node', [
      cliPath,
      '--api',
      system.api.url,
      'import',
      path.join(directory, 'vectors.npy'),
      '--ids',
      path.join(directory, 'short.txt'),
    ]).catch((error: { code: number; stderr: string }) => error);
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain('lists 2 ids for 10000 vectors');
  });
});
