/**
 * Entries of a collection's Redis stream: the ordered log the indexer applies.
 * Vectors travel as raw float32 little-endian bytes (the string variants of XADD/XREAD
 * would corrupt them); everything else is UTF-8.
 */
export type StreamOperation =
  | {
      op: 'upsert';
      id: string;
      url?: string | undefined;
      metadata?: Record<string, unknown> | undefined;
      modelId: string;
      vector: Float32Array;
      batchId?: string | undefined;
      /**
       * Set on vectors re-embedded for a reindex (`batchId` is then the reindex id): they go
       * to that generation, which is served only once complete. Unset: the served generation.
       */
      generation?: number | undefined;
    }
  | { op: 'delete'; id: string; batchId?: string | undefined }
  /** Rollback: the next snapshot serves the shards and tombstones of `version`. */
  | { op: 'activate'; version: number }
  /**
   * Re-embed the collection into a new generation (apps/indexer/README.md, "Reindex").
   * `model` is what workers load (a built-in name or a card path; unset: the collection's
   * model); `modelId`/`dim` are its card's, when the API resolved it.
   */
  | { op: 'reindex'; reindexId: string; mode: ReindexMode; model?: string | undefined; modelId?: string | undefined; dim?: number | undefined };

export type ReindexMode = 'all' | 'missing';

/** Flat field/value list for `xaddBuffer` or a Lua script's ARGV. */
export function encodeStreamFields(operation: StreamOperation): (string | Buffer)[] {
  if (operation.op === 'activate') return ['op', operation.op, 'version', String(operation.version)];
  if (operation.op === 'reindex') {
    const fields = ['op', operation.op, 'reindex', operation.reindexId, 'mode', operation.mode];
    if (operation.model) fields.push('modelRef', operation.model);
    if (operation.modelId) fields.push('model', operation.modelId);
    if (operation.dim) fields.push('dim', String(operation.dim));
    return fields;
  }
  const fields: (string | Buffer)[] = ['op', operation.op, 'id', operation.id];
  if (operation.batchId) fields.push('batch', operation.batchId);
  if (operation.op === 'upsert') {
    fields.push('model', operation.modelId, 'dim', String(operation.vector.length));
    fields.push('vec', Buffer.from(operation.vector.buffer, operation.vector.byteOffset, operation.vector.byteLength));
    if (operation.url) fields.push('url', operation.url);
    if (operation.metadata) fields.push('meta', JSON.stringify(operation.metadata));
    if (operation.generation !== undefined) fields.push('gen', String(operation.generation));
  }
  return fields;
}

export class MalformedStreamEntryError extends Error {
  override readonly name = 'MalformedStreamEntryError';
}

export function decodeStreamFields(raw: Buffer[]): StreamOperation {
  const fields = new Map<string, Buffer>();
  for (let index = 0; index + 1 < raw.length; index += 2) fields.set(raw[index]!.toString(), raw[index + 1]!);
  const text = (name: string) => fields.get(name)?.toString('utf8');
  const op = text('op');
  if (op === 'activate') {
    const version = Number(text('version'));
    if (!Number.isInteger(version) || version <= 0) throw new MalformedStreamEntryError(`activate of bad version ${text('version')}`);
    return { op, version };
  }
  if (op === 'reindex') {
    const reindexId = text('reindex');
    const mode = text('mode');
    if (!reindexId || (mode !== 'all' && mode !== 'missing')) throw new MalformedStreamEntryError(`reindex entry without id or with mode ${mode}`);
    const dim = text('dim') === undefined ? undefined : Number(text('dim'));
    if (dim !== undefined && !(Number.isInteger(dim) && dim > 0)) throw new MalformedStreamEntryError(`reindex entry with bad dim ${text('dim')}`);
    return { op, reindexId, mode, model: text('modelRef'), modelId: text('model'), dim };
  }
  const id = text('id');
  if (!id) throw new MalformedStreamEntryError('stream entry without id');
  const batchId = text('batch');
  if (op === 'delete') return { op, id, batchId };
  if (op !== 'upsert') throw new MalformedStreamEntryError(`unknown stream op ${op}`);
  const bytes = fields.get('vec');
  const dim = Number(text('dim'));
  if (!bytes || bytes.length !== dim * 4) throw new MalformedStreamEntryError(`vector of ${bytes?.length} bytes does not match dim ${dim}`);
  // Buffers from ioredis come at arbitrary offsets: copy into aligned memory first.
  const vector = new Float32Array(dim);
  Buffer.from(vector.buffer).set(bytes);
  const meta = text('meta');
  const gen = text('gen');
  const generation = gen === undefined ? undefined : Number(gen);
  if (generation !== undefined && !(Number.isInteger(generation) && generation > 0)) throw new MalformedStreamEntryError(`bad generation ${gen}`);
  return {
    op,
    id,
    batchId,
    modelId: text('model') ?? '',
    url: text('url'),
    metadata: meta ? (JSON.parse(meta) as Record<string, unknown>) : undefined,
    vector,
    ...(generation === undefined ? {} : { generation }),
  };
}
