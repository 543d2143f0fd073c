import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSampleClips, type SampleClip } from '../../scripts/sample-audio.ts';
import { closeAll, createTestBucket, createTestS3Client, uniqueName } from '../harness/test-services.ts';
import { startSystem, waitForBatch, type RunningSystem } from '../support/running-system.ts';
import { serveDirectory, type StaticFileServer } from '../support/static-file-server.ts';

interface SearchBody {
  collection: string;
  snapshot: { version: number; count: number; recordings: number };
  results: { id: string; url: string; score: number; metadata?: Record<string, unknown> }[];
}

describe('ingest over HTTP, search the snapshot (api -> worker -> indexer, real Redis and S3)', () => {
  const collection = uniqueName('e2e');
  let clipDirectory: string;
  let clips: SampleClip[];
  let files: StaticFileServer;
  let bucket: string;
  let system: RunningSystem;

  beforeAll(async () => {
    clipDirectory = fs.mkdtempSync(path.join(os.tmpdir(), 'clips-'));
    clips = await writeSampleClips(clipDirectory, 20);
    files = await serveDirectory(clipDirectory);
    bucket = (await createTestBucket('e2e')).bucket;
    system = await startSystem({ bucket });
  });

  afterAll(async () => {
    await system?.stop();
    await files?.close();
    await closeAll();
    fs.rmSync(clipDirectory, { recursive: true, force: true });
  });

  async function searchUntilCount(query: unknown, count: number): Promise<SearchBody> {
    for (let attempt = 0; ; attempt += 1) {
      const { status, body } = await system.call<SearchBody>('POST', '/v1/search', { collection, k: 5, query });
      if (status === 200 && body.snapshot.recordings >= count) return body;
      if (attempt > 100) throw new Error(`snapshot never reached ${count} items: ${status} ${JSON.stringify(body)}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('indexes 20 clips and finds each one first by its own URL', async () => {
    expect(clips).toHaveLength(20);
    expect(new Set(clips.map((clip) => clip.kind))).toEqual(new Set(['tone', 'noise', 'chord', 'sweep', 'speech']));
    const items = clips.map((clip) => ({ id: clip.name, url: files.urlOf(clip.file), metadata: { kind: clip.kind } }));
    const accepted = await system.call<{ batchId: string; accepted: number; items: { id: string }[] }>('POST', '/v1/ingest', { collection, items });
    expect(accepted.status).toBe(202);
    expect(accepted.body.accepted).toBe(20);
    expect(accepted.body.items.map((item) => item.id)).toEqual(clips.map((clip) => clip.name));

    const batch = await waitForBatch(system, accepted.body.batchId);
    expect(batch.failures).toEqual([]);
    expect(batch).toMatchObject({ total: 20, embedded: 20, indexed: 20, failed: 0, state: 'done' });

    await searchUntilCount({ url: files.urlOf(clips[0]!.file) }, 20);
    for (const clip of clips) {
      const { status, body } = await system.call<SearchBody>('POST', '/v1/search', { collection, k: 5, query: { url: files.urlOf(clip.file) } });
      expect(status).toBe(200);
      expect(body.snapshot.recordings).toBe(20);
      expect(body.results[0]?.id, `query ${clip.name}`).toBe(clip.name);
      expect(body.results[0]!.score).toBeGreaterThan(0.99);
      expect(body.results[0]!.metadata).toEqual({ kind: clip.kind });
      const scores = body.results.map((result) => result.score);
      expect(scores).toEqual([...scores].sort((a, b) => b - a));
      expect(new Set(body.results.map((result) => result.id)).size).toBe(body.results.length);
    }
  });

  it('serves shards that Python faiss loads and searches to the same top 5', async () => {
    const manifestKey = await latestManifestKey();
    const manifest = JSON.parse(await getObjectText(manifestKey)) as { shards: { id: string; tombstones: number[] }[]; model: { dim: number } };
    expect(manifest.shards.length).toBeGreaterThan(0);
    const shards = [];
    for (const shard of manifest.shards) {
      const file = path.join(clipDirectory, `${shard.id}.faiss`);
      fs.writeFileSync(file, await getObjectBytes(`snapshots/${collection}/shards/${shard.id}.faiss`));
      const ids = (await getObjectText(`snapshots/${collection}/shards/${shard.id}.ids.jsonl`))
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { id: string }).id);
      shards.push({ file, ids, tombstones: shard.tombstones });
    }

    // A query vector that is not any stored row: a fixed pseudo-random direction.
    const query = Array.from({ length: manifest.model.dim }, (_, index) => Math.sin(index * 12.9898) * 0.5);
    // Python reads each shard with faiss.read_index and merges the per-shard hits itself, best
    // segment per recording (the API answers one result per recording, docs/segments.md).
    const script = [
      'import sys, json, numpy as np, faiss',
      'shards = json.loads(sys.argv[1])',
      'q = np.array([json.loads(sys.argv[2])], dtype="float32")',
      'faiss.normalize_L2(q)',
      'hits = []',
      'for shard in shards:',
      '    index = faiss.read_index(shard["file"])',
      '    assert index.ntotal == len(shard["ids"])',
      '    D, I = index.search(q, index.ntotal)',
      '    hits += [(float(d), shard["ids"][i]) for d, i in zip(D[0], I[0]) if i >= 0 and i not in shard["tombstones"]]',
      'best = {}',
      'for score, item in hits: best[item] = max(score, best.get(item, -2.0))',
      'print(json.dumps(sorted(((score, item) for item, score in best.items()), key=lambda hit: -hit[0])[:5]))',
    ].join('\n');
    const python = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script, JSON.stringify(shards), JSON.stringify(query)], { encoding: 'utf8' })) as [
      number,
      string,
    ][];
    expect(python).toHaveLength(5);

    const { status, body } = await system.call<SearchBody>('POST', '/v1/search', { collection, k: 5, query: { vector: query } });
    expect(status).toBe(200);
    expect(body.results.map((result) => result.id)).toEqual(python.map(([, id]) => id));
    body.results.forEach((result, rank) => expect(result.score).toBeCloseTo(python[rank]![0], 5));
  });

  it('answers a bad request with 400 and a stable code', async () => {
    const missingItems = await system.call<{ error: { code: string } }>('POST', '/v1/ingest', { collection });
    expect(missingItems.status).toBe(400);
    expect(missingItems.body.error.code).toBe('VALIDATION_FAILED');
    const notAUrl = await system.call<{ error: { code: string; details: { path: string }[] } }>('POST', '/v1/ingest', { items: [{ url: 'not a url' }] });
    expect(notAUrl.status).toBe(400);
    expect(notAUrl.body.error.code).toBe('VALIDATION_FAILED');
    expect(notAUrl.body.error.details[0]!.path).toBe('items.0.url');
    const malformedJson = await system.call<{ error: { code: string } }>('POST', '/v1/ingest', '{"items": [', { 'content-type': 'application/json' });
    expect(malformedJson.status).toBe(400);
    expect(malformedJson.body.error.code).toBe('VALIDATION_FAILED');
    const wrongDim = await system.call<{ error: { code: string } }>('POST', '/v1/search', { collection, query: { vector: [1, 2, 3] } });
    expect(wrongDim.status).toBe(400);
    expect(wrongDim.body.error.code).toBe('BAD_VECTOR');
    const unknown = await system.call<{ error: { code: string } }>('POST', '/v1/search', { collection: uniqueName('none'), query: { vector: [1] } });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('COLLECTION_NOT_FOUND');
  });

  async function latestManifestKey(): Promise<string> {
    const latest = JSON.parse(await getObjectText(`snapshots/${collection}/LATEST`)) as { version: number };
    return `snapshots/${collection}/manifests/${String(latest.version).padStart(12, '0')}.json`;
  }

  async function getObjectBytes(key: string): Promise<Uint8Array> {
    const answer = await createTestS3Client().send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return answer.Body!.transformToByteArray();
  }

  async function getObjectText(key: string): Promise<string> {
    return Buffer.from(await getObjectBytes(key)).toString('utf8');
  }
});
