import { createEmbedder, type Embedder, type EmbedderOptions } from '@audio-index/embedding';
import { AppError, type Manifest } from '@audio-index/shared';

/**
 * The embedder that turns audio queries into vectors of a snapshot's model: the API's own
 * (`MODEL`), or — after a reindex moved a collection to another model — that model, loaded
 * from the manifest's `modelRef` on first use and kept. A query must be embedded by the same
 * model as the rows it is compared with, or the scores mean nothing.
 */
export class QueryEmbedders {
  private readonly others = new Map<string, Promise<Embedder>>();

  constructor(
    readonly base: Embedder,
    private readonly options: Omit<EmbedderOptions, 'model'>,
  ) {}

  async forManifest(manifest: Manifest): Promise<Embedder> {
    if (manifest.model.id === this.base.modelId) return this.base;
    const ref = manifest.modelRef;
    if (!ref) {
      throw new AppError('MODEL_MISMATCH', `collection uses model ${manifest.model.id}; this API embeds with ${this.base.modelId} and the snapshot names no card to load`);
    }
    let embedder = this.others.get(ref);
    if (!embedder) {
      embedder = createEmbedder({ ...this.options, model: ref });
      this.others.set(ref, embedder);
      embedder.catch(() => this.others.delete(ref)); // a card that failed to load is retried next time
    }
    const loaded = await embedder;
    if (loaded.modelId !== manifest.model.id) {
      throw new AppError('MODEL_MISMATCH', `card ${ref} holds model ${loaded.modelId}, the snapshot was built with ${manifest.model.id}`);
    }
    return loaded;
  }

  async close(): Promise<void> {
    const others = await Promise.allSettled(this.others.values());
    this.others.clear();
    await Promise.allSettled([this.base.close(), ...others.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value.close()] : []))]);
  }
}
