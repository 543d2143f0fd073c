import { loadAudioFromUrl, type AudioLoadOptions } from '@audio-index/audio-input';
import type { Embedder } from '@audio-index/embedding';
import { AppError } from '@audio-index/shared';
import type { SearchHit } from './loaded-snapshot.ts';
import { normaliseQueryVector } from './query-vector.ts';
import type { SearchRequest } from './search-request.ts';
import type { SnapshotRegistry } from './snapshot-registry.ts';

export interface SearchAnswer {
  collection: string;
  snapshot: { version: number; count: number };
  results: SearchHit[];
}

export class SearchService {
  constructor(
    private readonly registry: SnapshotRegistry,
    private readonly embedder: Embedder,
    private readonly audio: AudioLoadOptions,
    private readonly maxK: number,
  ) {}

  async search(request: SearchRequest): Promise<SearchAnswer> {
    if (request.k > this.maxK) {
      throw new AppError('VALIDATION_FAILED', `k must be at most ${this.maxK}`, { details: { k: request.k, max: this.maxK } });
    }
    const snapshot = this.registry.get(request.collection) ?? (await this.registry.refresh(request.collection));
    if (!snapshot) throw new AppError('COLLECTION_NOT_FOUND', `collection ${request.collection} has no published snapshot`);
    const dim = snapshot.manifest.model.dim;
    let query: Float32Array;
    if ('vector' in request.query) query = normaliseQueryVector(request.query.vector, dim);
    else {
      if (snapshot.manifest.model.id !== this.embedder.modelId) {
        throw new AppError('MODEL_MISMATCH', `collection uses model ${snapshot.manifest.model.id}; this API embeds with ${this.embedder.modelId}`);
      }
      // Embedding runs in the embedder's worker threads, off the event loop.
      const samples = await loadAudioFromUrl(request.query.url, this.audio);
      query = await this.embedder.embed(samples);
    }
    return {
      collection: request.collection,
      snapshot: { version: snapshot.version, count: snapshot.count },
      results: snapshot.search(query, request.k),
    };
  }
}
