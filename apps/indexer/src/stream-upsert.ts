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
    // Usually a worker on a newer default than the one the collection was built with: say how out.
    message: `collection holds ${model.id} (d=${model.dim}); got ${operation.modelId} (d=${operation.dim}): reindex the collection to the workers' model (POST /v1/collections/:c/reindex with {"mode":"all","model":<their MODEL>}) or run the workers with ${model.id}`,
    attempts: 1,
  };
}
