/**
 * The Faiss `IndexFlatIP` file format, written and read directly from Float32Array rows so
 * a shard never passes through a per-element JS conversion. `faiss.read_index` (Python)
 * and faiss-node's `IndexFlatIP.read` load these files.
 *
 * Layout, little-endian (Faiss 1.7.x to 1.15 `write_index` for IndexFlat):
 *   "IxFI" | i32 d | i64 ntotal | i64 1<<20 | i64 1<<20 | u8 is_trained=1 | i32 metric=0
 *   | u64 count = ntotal*d | float32 rows, row-major
 */
const FOURCC_FLAT_IP = 'IxFI';
const METRIC_INNER_PRODUCT = 0;
/** Faiss writes two unused 64-bit fields, both 1<<20. */
const DUMMY_FIELD = 1n << 20n;
export const FLAT_IP_HEADER_BYTES = 4 + 4 + 8 + 8 + 8 + 1 + 4 + 8;

export interface FlatShard {
  dim: number;
  count: number;
  /** `count * dim` floats, row-major. */
  vectors: Float32Array;
}

export function encodeFlatIPShard(vectors: Float32Array, dim: number): Buffer {
  if (vectors.length % dim !== 0) throw new Error(`vector data length ${vectors.length} is not a multiple of d=${dim}`);
  const file = allocateFlatIPShard(dim, vectors.length / dim);
  // One bulk copy of the row bytes (host order is little-endian on every target we run on).
  Buffer.from(vectors.buffer, vectors.byteOffset, vectors.byteLength).copy(file, FLAT_IP_HEADER_BYTES);
  return file;
}

/**
 * A shard file of `count` rows with its header written and the row bytes left for the caller
 * to fill (row i at `FLAT_IP_HEADER_BYTES + i * dim * 4`): merges copy rows file to file.
 */
export function allocateFlatIPShard(dim: number, count: number): Buffer {
  if (!Number.isInteger(dim) || dim <= 0) throw new Error(`bad dimension ${dim}`);
  const file = Buffer.allocUnsafe(FLAT_IP_HEADER_BYTES + count * dim * 4);
  let offset = file.write(FOURCC_FLAT_IP, 0, 'latin1');
  offset = file.writeInt32LE(dim, offset);
  offset = file.writeBigInt64LE(BigInt(count), offset);
  offset = file.writeBigInt64LE(DUMMY_FIELD, offset);
  offset = file.writeBigInt64LE(DUMMY_FIELD, offset);
  offset = file.writeUInt8(1, offset);
  offset = file.writeInt32LE(METRIC_INNER_PRODUCT, offset);
  file.writeBigUInt64LE(BigInt(count * dim), offset);
  return file;
}

/** Validates a shard file's header and length without copying its rows. */
export function readFlatIPShardHeader(file: Uint8Array): { dim: number; count: number } {
  return parseFlatIPHeader(file, file.byteLength);
}

/**
 * The one reader of the header: `header` holds at least the file's first FLAT_IP_HEADER_BYTES
 * (the whole file, or only its head when the rows are streamed elsewhere), `fileBytes` is the
 * file's length, checked against the row count the header gives.
 */
export function parseFlatIPHeader(header: Uint8Array, fileBytes: number): { dim: number; count: number } {
  const buffer = Buffer.from(header.buffer, header.byteOffset, header.byteLength);
  if (buffer.length < FLAT_IP_HEADER_BYTES || fileBytes < FLAT_IP_HEADER_BYTES) throw new Error('shard file is shorter than its header');
  const fourcc = buffer.toString('latin1', 0, 4);
  if (fourcc !== FOURCC_FLAT_IP) throw new Error(`not an IndexFlatIP file (fourcc ${JSON.stringify(fourcc)})`);
  const dim = buffer.readInt32LE(4);
  const count = Number(buffer.readBigInt64LE(8));
  const metric = buffer.readInt32LE(33);
  if (metric !== METRIC_INNER_PRODUCT) throw new Error(`unexpected metric ${metric}`);
  const floats = Number(buffer.readBigUInt64LE(37));
  if (floats !== count * dim) throw new Error(`shard header says ${floats} floats, expected ${count}x${dim}`);
  const expectedBytes = FLAT_IP_HEADER_BYTES + floats * 4;
  if (fileBytes !== expectedBytes) throw new Error(`shard file has ${fileBytes} bytes, expected ${expectedBytes}`);
  return { dim, count };
}

export function decodeFlatIPShard(file: Uint8Array): FlatShard {
  const { dim, count } = readFlatIPShardHeader(file);
  const buffer = Buffer.from(file.buffer, file.byteOffset, file.byteLength);
  // Copy into fresh, aligned memory: the source may sit at an offset that is not a multiple of 4.
  const vectors = new Float32Array(count * dim);
  Buffer.from(vectors.buffer).set(buffer.subarray(FLAT_IP_HEADER_BYTES));
  return { dim, count, vectors };
}
