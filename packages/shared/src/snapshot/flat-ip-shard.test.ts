import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeFlatIPShard, encodeFlatIPShard, FLAT_IP_HEADER_BYTES, parseFlatIPHeader } from './flat-ip-shard.ts';

function randomUnitRows(count: number, dim: number, seed: number): Float32Array {
  const rows = new Float32Array(count * dim);
  let state = seed;
  for (let index = 0; index < rows.length; index += 1) {
    state = (state * 1103515245 + 12345) >>> 0;
    rows[index] = state / 2 ** 32 - 0.5;
  }
  for (let row = 0; row < count; row += 1) {
    const slice = rows.subarray(row * dim, (row + 1) * dim);
    const norm = Math.hypot(...slice);
    for (let index = 0; index < dim; index += 1) slice[index]! /= norm;
  }
  return rows;
}

describe('IndexFlatIP shard format', () => {
  it('round-trips rows byte-exactly with the documented header', () => {
    const rows = randomUnitRows(7, 16, 1);
    const file = encodeFlatIPShard(rows, 16);
    expect(file.length).toBe(FLAT_IP_HEADER_BYTES + rows.byteLength);
    expect(file.toString('latin1', 0, 4)).toBe('IxFI');
    const decoded = decodeFlatIPShard(file);
    expect(decoded.dim).toBe(16);
    expect(decoded.count).toBe(7);
    expect(Array.from(decoded.vectors)).toEqual(Array.from(rows));
  });

  it('decodes a file held at an unaligned offset', () => {
    const file = encodeFlatIPShard(randomUnitRows(3, 5, 2), 5);
    const padded = Buffer.concat([Buffer.from([0]), file]).subarray(1);
    expect(decodeFlatIPShard(padded).count).toBe(3);
  });

  it('writes an empty shard and refuses malformed ones', () => {
    expect(decodeFlatIPShard(encodeFlatIPShard(new Float32Array(0), 8)).count).toBe(0);
    expect(() => encodeFlatIPShard(new Float32Array(5), 2)).toThrow(/multiple/);
    const file = encodeFlatIPShard(randomUnitRows(2, 4, 3), 4);
    expect(() => decodeFlatIPShard(file.subarray(0, file.length - 1))).toThrow(/bytes/);
    const wrongFourcc = Buffer.from(file);
    wrongFourcc.write('IxF2', 0, 'latin1');
    expect(() => decodeFlatIPShard(wrongFourcc)).toThrow(/IndexFlatIP/);
  });

  it('reads the header alone against the length of a file streamed elsewhere', () => {
    const file = encodeFlatIPShard(randomUnitRows(6, 4, 5), 4);
    const head = file.subarray(0, FLAT_IP_HEADER_BYTES);
    expect(parseFlatIPHeader(head, file.length)).toEqual({ dim: 4, count: 6 });
    expect(() => parseFlatIPHeader(head, file.length - 4)).toThrow(/bytes/);
    expect(() => parseFlatIPHeader(head.subarray(0, 10), file.length)).toThrow(/shorter than its header/);
    const cosine = Buffer.from(head);
    cosine.writeInt32LE(1, 33);
    expect(() => parseFlatIPHeader(cosine, file.length)).toThrow(/metric/);
  });

  it('loads in Python faiss and searches to the same inner products', () => {
    const dim = 12;
    const rows = randomUnitRows(50, dim, 4);
    const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'shard-'));
    const shardPath = path.join(directory, 'shard.faiss');
    fs.writeFileSync(shardPath, encodeFlatIPShard(rows, dim));
    const query = Array.from(rows.subarray(3 * dim, 4 * dim));
    const script = [
      'import sys, json, numpy as np, faiss',
      'index = faiss.read_index(sys.argv[1])',
      'q = np.array([json.loads(sys.argv[2])], dtype="float32")',
      'D, I = index.search(q, 3)',
      'print(json.dumps({"ntotal": index.ntotal, "d": index.d, "metric": index.metric_type, "ids": I[0].tolist(), "scores": D[0].tolist()}))',
    ].join('\n');
    const output = execFileSync('/usr/bin/python3', ['-c', script, shardPath, JSON.stringify(query)], { encoding: 'utf8' });
    const answer = JSON.parse(output) as { ntotal: number; d: number; metric: number; ids: number[]; scores: number[] };
    fs.rmSync(directory, { recursive: true });
    expect(answer).toMatchObject({ ntotal: 50, d: dim, metric: 0 });
    expect(answer.ids[0]).toBe(3);
    expect(answer.scores[0]).toBeCloseTo(1, 5);
    for (const [rank, id] of answer.ids.entries()) {
      let dot = 0;
      for (let index = 0; index < dim; index += 1) dot += rows[id * dim + index]! * query[index]!;
      expect(answer.scores[rank]).toBeCloseTo(dot, 5);
    }
  });
});
