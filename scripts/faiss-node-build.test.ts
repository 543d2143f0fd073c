// Checks the faiss-node addon built by scripts/build-faiss-node.sh against
// Debian's libfaiss-dev: exact inner-product search, and index files that
// Debian's Python Faiss (/usr/bin/python3, python3-faiss) reads identically.
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type * as FaissNode from 'faiss-node';

const require = createRequire(import.meta.url);
// faiss-node is a CommonJS addon (module.exports = native object): load it with require.
const faiss = require(require.resolve('faiss-node', { paths: [process.cwd(), join(import.meta.dirname, '..', 'apps', 'api')] })) as typeof FaissNode;

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

describe("scripts/node-headers.sh finds Node's headers wherever Node is installed", () => {
  const repo = join(import.meta.dirname, '..');
  // A Node laid out like the release tarball in a fresh prefix: a copy of the running binary
  // (process.execPath is the real file, so a symlink would report the original prefix).
  const prefix = join(tmp, 'prefix');
  mkdirSync(join(prefix, 'bin'), { recursive: true });
  copyFileSync(process.execPath, join(prefix, 'bin', 'node'));
  execFileSync('chmod', ['755', join(prefix, 'bin', 'node')]);
  const packaged = (require('node-api-headers') as { include_dir: string }).include_dir;

  function discover(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
    // --norc and no stdin: bash reads ~/.bashrc when its stdin looks like a remote shell's.
    const result = spawnSync('bash', ['--norc', '--noprofile', '-c', 'source scripts/node-headers.sh && node_include_dir "$PWD"'], {
      cwd: repo,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: `${join(prefix, 'bin')}:/usr/bin:/bin`, HOME: tmp, ...env },
    });
    return { status: result.status, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
  }

  it('uses node-api-headers when nothing is beside node', () => {
    expect(discover({})).toEqual({ status: 0, stdout: packaged, stderr: '' });
  });

  it('prefers <prefix>/include/node beside the running node', () => {
    const beside = join(prefix, 'include', 'node');
    mkdirSync(beside, { recursive: true });
    writeFileSync(join(beside, 'node_api.h'), '');
    try {
      expect(discover({})).toEqual({ status: 0, stdout: beside, stderr: '' });
    } finally {
      rmSync(join(prefix, 'include'), { recursive: true });
    }
  });

  it('takes NODE_INCLUDE_DIR over both, and refuses one without node_api.h', () => {
    expect(discover({ NODE_INCLUDE_DIR: packaged })).toEqual({ status: 0, stdout: packaged, stderr: '' });
    const wrong = discover({ NODE_INCLUDE_DIR: tmp });
    expect(wrong.status).toBe(1);
    expect(wrong.stderr).toContain(`NODE_INCLUDE_DIR=${tmp} has no node_api.h`);
  });

  it('is what every native build uses: none names a header path of its own', () => {
    const scripts = readdirSync(join(repo, 'scripts')).filter((name) => name.endsWith('.sh'));
    const compiling = scripts.filter((name) => readFileSync(join(repo, 'scripts', name), 'utf8').includes('-I"$NODE_INC"'));
    expect(compiling.sort()).toEqual(['build-faiss-node.sh', 'build-faiss-search-addon.sh']);
    for (const name of compiling) {
      const text = readFileSync(join(repo, 'scripts', name), 'utf8');
      expect(text, name).toContain('NODE_INC="$(node_include_dir "$ROOT" 2>&1)"');
      expect(text, name).not.toContain('include/node');
    }
  });
});
