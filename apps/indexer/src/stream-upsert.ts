import type { ItemFailure, StreamOperation } from '@audio-index/shared';
import type { PendingRow } from './generation-rows.ts';

/** An upsert as it comes off the stream: a new vector for the served generation, or (with `generation`) a re-embedded one. */
export type StreamUpsert = Extract<StreamOperation, { op: 'upsert' }>;

/** A recording's rows as the state keeps them until the next publish. */
export function rowsOf(operation: StreamUpsert): PendingRow {
  return { vectors: operation.vectors, segments: operation.segments, url: operation.url, metadata: operation.metadata };
}

export function modelMismatch(operation: StreamUpsert, model: { id: string; dim: number }): ItemFailure {
  return {
    id: operation.id,
    url: operation.url ?? '',
    code: 'MODEL_MISMATCH',
    message: `collection holds ${model.id} (d=${model.dim}); got ${operation.modelId} (d=${operation.dim})`,
    attempts: 1,
  };
}
