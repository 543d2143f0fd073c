import { segmentationSchema, type Segmentation } from '../snapshot/manifest.ts';

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
      /**
       * The recording's rows, `segments.length` unit vectors of `dim` (one without `segments`),
       * row-major, in time order (docs/segments.md).
       */
      vectors: Float32Array;
      dim: number;
      /** Each row's stretch `[start, end)` in seconds; unset: one row without times (an import). */
      segments?: readonly RowSpan[] | undefined;
      /** The collection's cutting that made `segments` (recorded in manifests for query cutting). */
      segmentation?: Segmentation | undefined;
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

export interface RowSpan {
  readonly start: number;
  readonly end: number;
}

/** How many rows an upsert carries. */
export const rowCountOf = (operation: { vectors: Float32Array; dim: number }) => operation.vectors.length / operation.dim;

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
    assertRowsMatch(operation.vectors.length, operation.dim, operation.segments);
    fields.push('model', operation.modelId, 'dim', String(operation.dim));
    fields.push('vec', Buffer.from(operation.vectors.buffer, operation.vectors.byteOffset, operation.vectors.byteLength));
    if (operation.segments) fields.push('segs', JSON.stringify(operation.segments.map((span) => [span.start, span.end])));
    if (operation.segmentation) fields.push('segcfg', JSON.stringify(operation.segmentation));
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
  if (!bytes || !(Number.isInteger(dim) && dim > 0) || bytes.length % (dim * 4) !== 0 || bytes.length === 0) {
    throw new MalformedStreamEntryError(`vectors of ${bytes?.length} bytes do not match dim ${dim}`);
  }
  const segments = decodeSegments(text('segs'));
  const segmentation = decodeSegmentation(text('segcfg'));
  assertRowsMatch(bytes.length / 4, dim, segments);
  // Buffers from ioredis come at arbitrary offsets: copy into aligned memory first.
  const vectors = new Float32Array(bytes.length / 4);
  Buffer.from(vectors.buffer).set(bytes);
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
    vectors,
    dim,
    ...(segments ? { segments } : {}),
    ...(segmentation ? { segmentation } : {}),
    ...(generation === undefined ? {} : { generation }),
  };
}

function decodeSegmentation(text: string | undefined): Segmentation | undefined {
  if (text === undefined) return undefined;
  const parsed = segmentationSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new MalformedStreamEntryError(`bad segcfg ${text}`);
  return parsed.data;
}

function decodeSegments(text: string | undefined): RowSpan[] | undefined {
  if (text === undefined) return undefined;
  const pairs: unknown = JSON.parse(text);
  const valid =
    Array.isArray(pairs) &&
    pairs.every((pair) => Array.isArray(pair) && pair.length === 2 && pair.every((time) => typeof time === 'number' && time >= 0 && Number.isFinite(time)));
  if (!valid) throw new MalformedStreamEntryError('segs is not a list of [start, end] pairs');
  return (pairs as [number, number][]).map(([start, end]) => ({ start, end }));
}

function assertRowsMatch(values: number, dim: number, segments: readonly RowSpan[] | undefined): void {
  const rows = values / dim;
  if (!Number.isInteger(rows) || rows < 1) throw new MalformedStreamEntryError(`${values} values are not whole rows of dim ${dim}`);
  if (segments ? segments.length !== rows : rows !== 1) {
    throw new MalformedStreamEntryError(`${rows} rows but ${segments?.length ?? 'no'} segments`);
  }
}
