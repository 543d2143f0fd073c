import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import { FLAT_IP_HEADER_BYTES, parseFlatIPHeader } from '@audio-index/shared';

const CHUNK_BYTES = 16 * 1024 * 1024;

export interface SharedShardVectors {
  dim: number;
  count: number;
  /** Row-major float32, in a SharedArrayBuffer so search threads read it without a copy. */
  vectors: Float32Array;
}

/**
 * Reads a Faiss IndexFlatIP file straight into shared memory, hashing it on the way: one
 * pass, no intermediate copy (a 1M x 768 shard is 3 GB, past what readFile allows).
 * Throws when the sha256 differs from the manifest's: a torn or corrupted copy never serves.
 */
export async function readShardIntoSharedMemory(filePath: string, expectedSha256: string): Promise<SharedShardVectors> {
  const file = await fs.open(filePath, 'r');
  try {
    const header = Buffer.alloc(FLAT_IP_HEADER_BYTES);
    await file.read(header, 0, FLAT_IP_HEADER_BYTES, 0);
    const { size } = await file.stat();
    const { dim, count } = parseFlatIPHeader(header, size);
    const vectors = new Float32Array(new SharedArrayBuffer(count * dim * 4));
    const bytes = new Uint8Array(vectors.buffer);
    const digest = createHash('sha256').update(header);
    for (let offset = 0; offset < bytes.length;) {
      const length = Math.min(CHUNK_BYTES, bytes.length - offset);
      const { bytesRead } = await file.read(bytes, offset, length, FLAT_IP_HEADER_BYTES + offset);
      if (bytesRead === 0) throw new Error(`${filePath} ended early`);
      digest.update(bytes.subarray(offset, offset + bytesRead));
      offset += bytesRead;
    }
    const actual = digest.digest('hex');
    if (actual !== expectedSha256) throw new Error(`shard file has sha256 ${actual}, the manifest says ${expectedSha256}`);
    return { dim, count, vectors };
  } finally {
    await file.close();
  }
}
