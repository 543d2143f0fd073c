import {
  AppError,
  checkItemInput,
  checkVectorDim,
  defaultInputLimits,
  newBatchId,
  sha256Hex,
  type BatchLedger,
  type IngestBackpressure,
  type InputLimits,
} from '@audio-index/shared';
import type { SnapshotRegistry } from '../search/snapshot-registry.ts';
import type { VectorUpload } from './collection-schemas.ts';
import { groupUploadRows } from './vector-recordings.ts';

export interface DefaultModel {
  modelId: string;
  dim: number;
}

/** Recorded concurrently in groups this size: concurrent commands share round trips. */
const RECORD_GROUP = 500;

/**
 * Vectors computed elsewhere join a collection by the same path as embedded audio: a batch
 * in the ledger, then one stream entry per recording (rows sharing an id with start/end are its segments), appended and counted atomically, for the
 * indexer to publish. Vectors are checked (dimension, finite, not zero) and normalised.
 */
export class VectorUploadService {
  constructor(
    private readonly ledger: BatchLedger,
    /** The same limits as audio ingest: vectors fill the same stream. */
    private readonly backpressure: IngestBackpressure,
    private readonly registry: SnapshotRegistry,
    private readonly defaultModel: DefaultModel,
    private readonly maxItems: number,
    /** The same caps as ingest for ids, URLs and metadata, and MAX_VECTOR_DIM. */
    private readonly inputLimits: InputLimits = defaultInputLimits,
  ) {}

  /** `accepted` counts recordings (the batch's items); `segments` the rows they hold. */
  async accept(collection: string, upload: VectorUpload): Promise<{ batchId: string; collection: string; accepted: number; segments: number }> {
    await this.backpressure.admit(collection);
    if (upload.items.length > this.maxItems) {
      throw new AppError('PAYLOAD_TOO_LARGE', `at most ${this.maxItems} vectors per request`, { details: { items: upload.items.length, max: this.maxItems } });
    }
    // Every cap before the first read or write: a refused upload leaves nothing behind.
    upload.items.forEach((item, index) => {
      checkItemInput(item, this.inputLimits, `items.${index}`);
      checkVectorDim(item.vector.length, this.inputLimits, `items.${index}.vector`);
    });
    const { modelId, dim } = await this.modelOf(collection, upload);
    const recordings = groupUploadRows(upload.items, dim);

    const batchId = newBatchId('vectors');
    await this.ledger.createBatch(collection, batchId, recordings.length);
    for (let start = 0; start < recordings.length; start += RECORD_GROUP) {
      await Promise.all(
        recordings.slice(start, start + RECORD_GROUP).map((recording) =>
          this.ledger.recordEmbedded(collection, `v-${batchId}-${sha256Hex(recording.id).slice(0, 24)}`, {
            op: 'upsert',
            id: recording.id,
            url: recording.url,
            metadata: recording.metadata,
            modelId,
            vectors: recording.vectors,
            dim,
            segments: recording.segments,
            batchId,
          }),
        ),
      );
    }
    return { batchId, collection, accepted: recordings.length, segments: upload.items.length };
  }

  /** A published collection fixes model and dimension; a new one takes the caller's model or the API's. */
  private async modelOf(collection: string, upload: VectorUpload): Promise<{ modelId: string; dim: number }> {
    const snapshot = this.registry.get(collection) ?? (await this.registry.refresh(collection));
    if (snapshot) {
      const { id, dim } = snapshot.manifest.model;
      if (upload.model !== undefined && upload.model !== id) {
        throw new AppError('MODEL_MISMATCH', `collection ${collection} holds vectors of model ${id}, not ${upload.model}`);
      }
      return { modelId: id, dim };
    }
    const modelId = upload.model ?? this.defaultModel.modelId;
    const dim = modelId === this.defaultModel.modelId ? this.defaultModel.dim : upload.items[0]!.vector.length;
    return { modelId, dim };
  }
}
