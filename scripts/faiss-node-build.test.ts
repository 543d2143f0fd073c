// Checks the faiss-node addon built by scripts/build-faiss-node.sh against
// Debian's libfaiss-dev: exact inner-product search, and index files that
// Debian's Python Faiss (/usr/bin/python3, python3-faiss) reads identically.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type * as FaissNode from 'faiss-node';

const require = createRequire(import.meta.url);
// faiss-node is a CommonJS addon (module.exports = native object): load it with require.
const faiss = require(
  require.resolve('faiss-node', { paths: [process.cwd(), join(import.meta.dirname, '..', 'apps', 'api')] }),
) as typeof FaissNode;

const D = 4;
// Small integers: every inner product is exact in float32, and distinct per query
// (Faiss does not order ties by id).
const VECTORS = [
  [1, 0, 0, 0],
  [0, 2, 0, 0],
  [1, 1, 1, 1],
  [-1, 3, 0, 2],
  [0, 0, 5, -1],
];
const QUERIES = [
  [1, 3, 0, 0],
  [1, -2, 3, 0],
  [2, -1, 0, 4],
];

function dot(a: number[], b: number[]): number {
  return a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);
}

/** Exact top-k by brute force. */
function expectedTopK(query: number[], k: number): { distances: number[]; labels: number[] } {
  const scored = VECTORS.map((v, id) => ({ id, score: dot(query, v) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
  return { distances: scored.map((s) => s.score), labels: scored.map((s) => s.id) };
}

function buildIndex(): FaissNode.IndexFlatIP {
  const index = new faiss.IndexFlatIP(D);
  index.add(VECTORS.flat());
  return index;
}

const tmp = mkdtempSync(join(tmpdir(), 'faiss-node-build-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('faiss-node built against Debian libfaiss', () => {
  it('IndexFlatIP add/search returns exact inner products', () => {
    const index = buildIndex();
    expect(index.ntotal()).toBe(VECTORS.length);
    expect(index.getDimension()).toBe(D);
    for (const q of QUERIES) {
      expect(index.search(q, 3)).toEqual(expectedTopK(q, 3));
    }
    // Batched search (nq > 1) goes through BLAS sgemm in Faiss.
    const k = VECTORS.length;
    const batch = index.search(QUERIES.flat(), k);
    const want = QUERIES.map((q) => expectedTopK(q, k));
    expect(batch.distances).toEqual(want.flatMap((w) => w.distances));
    expect(batch.labels).toEqual(want.flatMap((w) => w.labels));
  });

  it('search with k > ntotal throws instead of crashing', () => {
    expect(() => buildIndex().search(QUERIES[0] ?? [], VECTORS.length + 1)).toThrow();
  });

  it('write() produces a file that faiss-node and Python faiss.read_index read identically', () => {
    const file = join(tmp, 'flat-ip.faiss');
    const index = buildIndex();
    index.write(file);

    const reread = faiss.IndexFlatIP.read(file);
    expect(reread.ntotal()).toBe(VECTORS.length);
    const k = 3;
    const jsResults = QUERIES.map((q) => reread.search(q, k));
    expect(jsResults).toEqual(QUERIES.map((q) => expectedTopK(q, k)));

    const py = `
import json, sys
import numpy as np
import faiss
index = faiss.read_index(sys.argv[1])
q = np.array(json.loads(sys.argv[2]), dtype="float32")
D, I = index.search(q, int(sys.argv[3]))
print(json.dumps({"ntotal": int(index.ntotal), "d": int(index.d), "metric": int(index.metric_type),
                  "distances": D.tolist(), "labels": I.tolist()}))
`;
    const out = execFileSync('/usr/bin/python3', ['-c', py, file, JSON.stringify(QUERIES), String(k)], {
      encoding: 'utf8',
    });
    const res = JSON.parse(out) as {
      ntotal: number;
      d: number;
      metric: number;
      distances: number[][];
      labels: number[][];
    };
    expect(res.ntotal).toBe(VECTORS.length);
    expect(res.d).toBe(D);
    expect(res.metric).toBe(faiss.MetricType.METRIC_INNER_PRODUCT);
    expect(res.distances).toEqual(jsResults.map((r) => r.distances));
    expect(res.labels).toEqual(jsResults.map((r) => r.labels));
  });
});
