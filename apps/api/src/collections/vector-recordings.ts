import { AppError, duplicateItemId, rowsById, type RowSpan } from '@audio-index/shared';
import { normaliseQueryVector } from '../search/query-vector.ts';
import type { VectorUpload } from './collection-schemas.ts';

/** One recording of a vector upload: its unit rows, in time order (docs/segments.md). */
export interface UploadedRecording {
  id: string;
  url: string | undefined;
  metadata: Record<string, unknown> | undefined;
  vectors: Float32Array;
  segments: RowSpan[] | undefined;
}

/**
 * Groups upload rows into recordings. Rows that share an id are one recording's segments
 * and must each give `start` and `end` (distinct starts; sent in any order, kept in time
 * order); an id given twice without times is a mistake (DUPLICATE_ITEM_ID), as before
 * segments. A row without times is a whole recording of one row.
 */
export function groupUploadRows(items: VectorUpload['items'], dim: number): UploadedRecording[] {
  const recordings: UploadedRecording[] = [];
  for (const [id, indexes] of rowsById(items.map((item) => item.id))) {
    const timed = indexes.filter((index) => items[index]!.start !== undefined);
    if (indexes.length > 1 && timed.length !== indexes.length) throw duplicateItemId(id, indexes, 'segments of one recording need start and end on every row');
    const ordered = [...indexes].sort((a, b) => (items[a]!.start ?? 0) - (items[b]!.start ?? 0));
    for (let position = 1; position < ordered.length; position += 1) {
      if (items[ordered[position]!]!.start === items[ordered[position - 1]!]!.start) {
        throw duplicateItemId(id, [ordered[position - 1]!, ordered[position]!], 'segments of one recording need distinct starts');
      }
    }
    const vectors = new Float32Array(ordered.length * dim);
    ordered.forEach((index, row) => vectors.set(normalisedRow(items, index, dim), row * dim));
    const head = items[ordered[0]!]!;
    recordings.push({
      id,
      url: head.url,
      metadata: head.metadata,
      vectors,
      segments: timed.length > 0 ? ordered.map((index) => ({ start: items[index]!.start!, end: items[index]!.end! })) : undefined,
    });
  }
  return recordings;
}

function normalisedRow(items: VectorUpload['items'], index: number, dim: number): Float32Array {
  try {
    return normaliseQueryVector(items[index]!.vector, dim, `items.${index}.vector`);
  } catch (error) {
    if (error instanceof AppError) throw new AppError(error.code, error.message, { details: { index, ...(error.details as object) } });
    throw error;
  }
}
