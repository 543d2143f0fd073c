import fs from 'node:fs/promises';
import { decodeFlatIPShard } from '@audio-index/shared';
import type { ApiClient } from '../api-client.ts';
import { CliError, ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { readIdList } from '../vector-files/id-list-reader.ts';
import { readNpy, type VectorMatrix } from '../vector-files/npy-reader.ts';

export interface ImportOptions {
  ids: string;
  collection: string;
  json: boolean;
}

/** Vectors per request: ~3 MB of JSON at d=768, well under the API's body limit. */
const VECTORS_PER_REQUEST = 500;

/**
 * Imports precomputed embeddings (a `.npy` matrix, or a Faiss IndexFlatIP file) with their
 * ids through the API's vectors endpoint, so they take the same stream and indexer path and
 * the same checks (dimension, finiteness, model) as embedded audio.
 */
export async function importCommand(api: ApiClient, vectorFile: string, options: ImportOptions): Promise<ExitCodeValue> {
  const bytes = await fs.readFile(vectorFile).catch(() => {
    throw new CliError(`cannot read ${vectorFile}`, ExitCode.USAGE);
  });
  let matrix: VectorMatrix;
  try {
    if (vectorFile.endsWith('.npy')) matrix = readNpy(bytes);
    else {
      const shard = decodeFlatIPShard(bytes);
      matrix = { rows: shard.count, dim: shard.dim, values: shard.vectors };
    }
  } catch (error) {
    throw new CliError(`${vectorFile}: ${(error as Error).message}`, ExitCode.USAGE);
  }
  const rows = await readIdList(options.ids);
  if (rows.length !== matrix.rows) throw new CliError(`${options.ids} lists ${rows.length} ids for ${matrix.rows} vectors`, ExitCode.USAGE);

  const batchIds: string[] = [];
  for (let start = 0; start < matrix.rows; start += VECTORS_PER_REQUEST) {
    const items = rows.slice(start, start + VECTORS_PER_REQUEST).map((row, offset) => ({
      ...row,
      vector: Array.from(matrix.values.subarray((start + offset) * matrix.dim, (start + offset + 1) * matrix.dim)),
    }));
    const accepted = await api.json<{ batchId: string }>('POST', `/v1/collections/${encodeURIComponent(options.collection)}/vectors`, { items });
    batchIds.push(accepted.batchId);
    if (!options.json) process.stderr.write(`\rsent ${Math.min(matrix.rows, start + VECTORS_PER_REQUEST)}/${matrix.rows} vectors`);
  }
  if (options.json) console.log(JSON.stringify({ collection: options.collection, vectors: matrix.rows, dim: matrix.dim, batchIds }));
  else console.error(`\nimported ${matrix.rows} vectors (d=${matrix.dim}) into ${options.collection}; follow with: audio-index status ${batchIds.at(-1)}`);
  return ExitCode.OK;
}
