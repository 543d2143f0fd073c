import { randomBytes } from 'node:crypto';
import { AppError, sha256Hex, type BatchLedger } from '@audio-index/shared';
import { normaliseQueryVector } from '../search/query-vector.ts';
import type { SnapshotRegistry } from '../search/snapshot-registry.ts';
import type { VectorUpload } from './collection-schemas.ts';

export interface DefaultModel {
  modelId: string;
  dim: number;
}

/** Recorded concurrently in groups this size: concurrent commands share round trips. */
const RECORD_GROUP = 500;

/**
 * Vectors computed elsewhere join a collection by the same path as embedded audio: a batch
 * in the ledger, then one stream entry per item, appended and counted atomically, for the
 * indexer to publish. Vectors are checked (dimension, finite, not zero) and normalised.
 */
export class VectorUploadService {
  constructor(
    private readonly ledger: BatchLedger,
    private readonly registry: SnapshotRegistry,
    private readonly defaultModel: DefaultModel,
    private readonly maxItems: number,
  ) {}

  async accept(collection: string, upload: VectorUpload): Promise<{ batchId: string; collection: string; accepted: number }> {
    if (upload.items.length > this.maxItems) {
      throw new AppError('PAYLOAD_TOO_LARGE', `at most ${this.maxItems} vectors per request`, { details: { items: upload.items.length, max: this.maxItems } });
    }
    const { modelId, dim } = await this.modelOf(collection, upload);
    const seen = new Map<string, number>();
    const vectors = upload.items.map((item, index) => {
      const earlier = seen.get(item.id);
      if (earlier !== undefined) {
        throw new AppError('DUPLICATE_ITEM_ID', `items ${earlier} and ${index} have the same id ${JSON.stringify(item.id)}`, {
          details: { id: item.id, indexes: [earlier, index] },
        });
      }
      seen.set(item.id, index);
      try {
        return normaliseQueryVector(item.vector, dim, `items.${index}.vector`);
      } catch (error) {
        if (error instanceof AppError) throw new AppError(error.code, error.message, { details: { index, ...(error.details as object) } });
        throw error;
      }
    });

    const batchId = `v${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
    await this.ledger.createBatch(collection, batchId, upload.items.length);
    for (let start = 0; start < upload.items.length; start += RECORD_GROUP) {
      await Promise.all(
        upload.items.slice(start, start + RECORD_GROUP).map((item, offset) =>
          this.ledger.recordEmbedded(collection, `v-${batchId}-${sha256Hex(item.id).slice(0, 24)}`, {
            op: 'upsert',
            id: item.id,
            url: item.url,
            metadata: item.metadata,
            modelId,
            vector: vectors[start + offset]!,
            batchId,
          }),
        ),
      );
    }
    return { batchId, collection, accepted: upload.items.length };
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
