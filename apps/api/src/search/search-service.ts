import { decodeAudioFile, loadAudioFromUrl, type AudioLoadOptions } from '@audio-index/audio-input';
import type { Embedder, ModelEmbedders } from '@audio-index/embedding';
import { AppError } from '@audio-index/shared';
import type { QuerySegments } from './aligned-score.ts';
import type { LoadedSnapshot } from './loaded-snapshot.ts';
import { embedAudioQuery, hopOf, singleSegmentQuery, storedRecordingQuery } from './query-segments.ts';
import { normaliseQueryVector } from './query-vector.ts';
import { searchRecordings, type GroupBy, type RecordingResult, type SegmentResult } from './recording-search.ts';
import type { SearchRequest } from './search-request.ts';
import type { SnapshotRegistry } from './snapshot-registry.ts';
import type { EmbeddingSlots } from './embedding-slots.ts';

export interface SearchAnswer {
  collection: string;
  snapshot: { version: number; count: number; recordings: number };
  query: { segments: number };
  results: (RecordingResult | SegmentResult)[];
}

/** How results are shaped: one per recording (with `segments: n` listed) or raw segment hits. */
export interface ResultShape {
  k: number;
  groupBy: GroupBy;
  segments?: number | undefined;
}

export interface SearchTimings {
  observeSearch(seconds: number): void;
  observeEmbed(seconds: number): void;
}

/**
 * Turns a query (vector, stored item, URL or uploaded audio) into unit query segments and
 * answers it from one snapshot. Audio is embedded here, in the API's inference threads: a
 * query waits on its answer, and a round trip through the ingest queue would put it behind
 * bulk ingestion and add Redis hops for no isolation gain (the threads keep the event loop free).
 */
export class SearchService {
  constructor(
    private readonly registry: SnapshotRegistry,
    private readonly embedders: ModelEmbedders,
    private readonly audio: AudioLoadOptions,
    private readonly maxK: number,
    private readonly timings: SearchTimings,
    /** Caps concurrent audio queries (fetch + ffmpeg + inference); none: unbounded. */
    private readonly slots?: EmbeddingSlots,
  ) {}

  /** `signal`: the client went away; an audio query stops fetching, decoding and waiting. */
  async search(request: SearchRequest, signal?: AbortSignal): Promise<SearchAnswer> {
    const snapshot = await this.snapshotFor(request.collection, request.k);
    let query: QuerySegments;
    if ('vector' in request.query) query = singleSegmentQuery(normaliseQueryVector(request.query.vector, snapshot.dim));
    else if ('id' in request.query) {
      const stored = snapshot.recording(request.query.id);
      if (!stored) throw new AppError('ITEM_NOT_FOUND', `no item ${request.query.id} in collection ${request.collection}`);
      query = storedRecordingQuery(stored, snapshot.dim);
    } else {
      const embedder = await this.embedders.forModel(snapshot.manifest.model.id, snapshot.manifest.modelRef);
      const url = request.query.url;
      query = await this.bounded(signal, async () => {
        const samples = await loadAudioFromUrl(url, { ...this.audio, fetch: { ...this.audio.fetch, signal }, decode: { ...this.decodeFor(embedder), signal } });
        return this.embed(embedder, samples, snapshot);
      });
    }
    return this.answer(snapshot, query, request);
  }

  /** An uploaded file, already on disk: decoded with the same duration and time limits as URL queries. */
  async searchAudioFile(collection: string, shape: ResultShape, filePath: string, signal?: AbortSignal): Promise<SearchAnswer> {
    const snapshot = await this.snapshotFor(collection, shape.k);
    const embedder = await this.embedders.forModel(snapshot.manifest.model.id, snapshot.manifest.modelRef);
    const query = await this.bounded(signal, async () =>
      this.embed(embedder, await decodeAudioFile(filePath, { ...this.decodeFor(embedder), signal }), snapshot),
    );
    return this.answer(snapshot, query, shape);
  }

  /** What searchAudioFile would refuse before decoding (unknown collection, `k` over MAX_K), checked before an upload is staged. */
  async checkAudioQuery(collection: string, shape: ResultShape): Promise<void> {
    await this.snapshotFor(collection, shape.k);
  }

  private bounded<T>(signal: AbortSignal | undefined, work: () => Promise<T>): Promise<T> {
    return this.slots ? this.slots.run(signal, work) : work();
  }

  private async snapshotFor(collection: string, k: number): Promise<LoadedSnapshot> {
    if (k > this.maxK) throw new AppError('VALIDATION_FAILED', `k must be at most ${this.maxK}`, { details: { k, max: this.maxK } });
    const snapshot = this.registry.get(collection) ?? (await this.registry.refresh(collection));
    if (!snapshot) throw new AppError('COLLECTION_NOT_FOUND', `collection ${collection} has no published snapshot`);
    return snapshot;
  }

  /** Audio is decoded at the rate of the model that will embed it. */
  private decodeFor(embedder: Embedder) {
    return { ...this.audio.decode, sampleRate: embedder.sampleRate };
  }

  private async embed(embedder: Embedder, samples: Float32Array, snapshot: LoadedSnapshot): Promise<QuerySegments> {
    const started = process.hrtime.bigint();
    try {
      return await embedAudioQuery(embedder, samples, snapshot.manifest);
    } finally {
      this.timings.observeEmbed(Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  private async answer(taken: LoadedSnapshot, query: QuerySegments, shape: ResultShape): Promise<SearchAnswer> {
    // Embedding a URL or upload takes a while; a reload meanwhile retires `taken` and drops its
    // view from the search threads. Search whichever version is served now (there is no await
    // between this lookup and the threads receiving the request, so that view is loaded).
    const snapshot = this.registry.get(taken.manifest.collection) ?? taken;
    if (snapshot.dim !== taken.dim || snapshot.manifest.model.id !== taken.manifest.model.id) {
      throw new AppError('NOT_READY', `collection ${taken.manifest.collection} switched to model ${snapshot.manifest.model.id} during the query; retry`);
    }
    const started = process.hrtime.bigint();
    const results = await searchRecordings(snapshot, query, { ...shape, hopSeconds: hopOf(snapshot.manifest, query) });
    this.timings.observeSearch(Number(process.hrtime.bigint() - started) / 1e9);
    return {
      collection: snapshot.manifest.collection,
      snapshot: { version: snapshot.version, count: snapshot.count, recordings: snapshot.recordings },
      query: { segments: query.spans.length },
      results,
    };
  }
}
