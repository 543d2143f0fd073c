/**
 * The generated shards the search benches scan: unit rows of d = 768 from a xorshift seed,
 * written in 50k-row chunks as an IndexFlatIP file (1M x 768 is 3 GB, too big to hold twice).
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { encodeFlatIPShard } from '@audio-index/shared';

export const DIM = 768;
const CHUNK_ROWS = 50_000;

export function randomUnit(count: number, seed: number): Float32Array {
  const out = new Float32Array(count * DIM);
  let state = seed >>> 0 || 1;
  for (let index = 0; index < out.length; index += 1) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[index] = (state >>> 0) / 0xffffffff - 0.5;
  }
  for (let row = 0; row < count; row += 1) {
    let norm = 0;
    for (let c = 0; c < DIM; c += 1) norm += out[row * DIM + c]! ** 2;
    norm = Math.sqrt(norm);
    for (let c = 0; c < DIM; c += 1) out[row * DIM + c]! /= norm;
  }
  return out;
}

/** Writes `rows` generated rows to `file`; returns its sha256. */
export function writeShardFile(file: string, rows: number): string {
  const header = encodeFlatIPShard(new Float32Array(0), DIM).subarray(0, 45);
  header.writeBigInt64LE(BigInt(rows), 8);
  header.writeBigUInt64LE(BigInt(rows * DIM), 37);
  const fd = fs.openSync(file, 'w');
  fs.writeSync(fd, header);
  for (let start = 0; start < rows; start += CHUNK_ROWS) {
    const chunk = randomUnit(Math.min(CHUNK_ROWS, rows - start), start + 1);
    fs.writeSync(fd, new Uint8Array(chunk.buffer));
  }
  fs.closeSync(fd);
  return execFileSync('sha256sum', [file], { encoding: 'utf8' }).split(' ')[0]!;
}
