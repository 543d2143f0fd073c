import fs from 'node:fs/promises';
import { decodeFlatIPShard } from '@audio-index/shared';
import type { ApiClient } from '../api-client.ts';
import { CliError, ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { readIdList, type ImportedRow } from '../vector-files/id-list-reader.ts';
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
  let sent = 0;
  for (const request of requestsOf(rows, VECTORS_PER_REQUEST)) {
    const items = request.map((index) => ({
      ...rows[index]!,
      vector: Array.from(matrix.values.subarray(index * matrix.dim, (index + 1) * matrix.dim)),
    }));
    const accepted = await api.json<{ batchId: string }>('POST', `/v1/collections/${encodeURIComponent(options.collection)}/vectors`, { items });
    batchIds.push(accepted.batchId);
    sent += items.length;
    if (!options.json) process.stderr.write(`\rsent ${sent}/${matrix.rows} vectors`);
  }
  if (options.json) console.log(JSON.stringify({ collection: options.collection, vectors: matrix.rows, dim: matrix.dim, batchIds }));
  else console.error(`\nimported ${matrix.rows} vectors (d=${matrix.dim}) into ${options.collection}; follow with: audio-index status ${batchIds.at(-1)}`);
  return ExitCode.OK;
}

/**
 * Row indexes per request, never splitting a recording: its segments must arrive in one
 * request, since each upsert of an id replaces all of its rows. A recording with more rows
 * than `limit` goes alone.
 */
function requestsOf(rows: readonly ImportedRow[], limit: number): number[][] {
  const byId = new Map<string, number[]>();
  rows.forEach((row, index) => {
    const indexes = byId.get(row.id);
    if (indexes) indexes.push(index);
    else byId.set(row.id, [index]);
  });
  const requests: number[][] = [];
  let current: number[] = [];
  for (const recording of byId.values()) {
    if (current.length > 0 && current.length + recording.length > limit) {
      requests.push(current);
      current = [];
    }
    current.push(...recording);
  }
  if (current.length > 0) requests.push(current);
  return requests;
}
