import type { Redis } from 'ioredis';
import { loadModelCard } from '@audio-index/embedding';
import {
  AppError,
  CollectionCatalog,
  CollectionSettings,
  CollectionStream,
  CommittedVersions,
  manifestSchema,
  snapshotLayout,
  type ObjectStore,
  type RedisKeys,
} from '@audio-index/shared';
import type { SnapshotRegistry } from '../search/snapshot-registry.ts';
import type { CollectionSummary, ReindexRequest } from './collection-schemas.ts';

/**
 * What the API asks of the indexer, through the collection's stream (CollectionCommands in
 * @audio-index/shared). Without `requestReindex` the reindex route answers 503 NOT_READY.
 */
export interface IndexerCommands {
  deleteItem(collection: string, id: string): Promise<string>;
  activateVersion(collection: string, version: number): Promise<unknown>;
  /** Marks the collection for deletion; its indexer leader removes it (collection-commands.ts). */
  deleteCollection?(collection: string): Promise<void>;
  /** `target`: the card `model` names, resolved here so the new generation's model is fixed up front. */
  requestReindex?(collection: string, request: ReindexRequest, target?: { id: string; dim: number }): Promise<{ reindexId: string }>;
}

/** Most manifests one snapshot listing reads (newest first). */
const SNAPSHOT_LISTING_LIMIT = 100;

export class CollectionService {
  private readonly catalog: CollectionCatalog;
  private readonly stream: CollectionStream;
  private readonly versions: CommittedVersions;
  private readonly settings: CollectionSettings;

  constructor(
    redis: Redis,
    keys: RedisKeys,
    private readonly store: ObjectStore,
    private readonly registry: SnapshotRegistry,
    private readonly commands: IndexerCommands,
  ) {
    this.catalog = new CollectionCatalog(redis, keys);
    this.stream = new CollectionStream(redis, keys);
    this.versions = new CommittedVersions(redis, keys);
    this.settings = new CollectionSettings(redis, keys);
  }

  async list(): Promise<CollectionSummary[]> {
    const names = new Set([...(await this.catalog.names()), ...this.registry.collections()]);
    return Promise.all([...names].sort().map((name) => this.summarise(name)));
  }

  async describe(collection: string): Promise<CollectionSummary> {
    await this.requireKnown(collection);
    return this.summarise(collection);
  }

  async snapshots(collection: string) {
    await this.requireKnown(collection);
    // Committed versions come from Redis: the store may also hold manifests of publishes that
    // crashed before their commit, which were never served and must not be offered.
    const committed = await this.versions.list(collection);
    const newest = [...committed].sort((a, b) => b - a).slice(0, SNAPSHOT_LISTING_LIMIT);
    const served = this.registry.get(collection)?.version;
    const manifests = (await Promise.all(newest.map((version) => this.store.get(snapshotLayout.manifest(collection, version)))))
      .filter((body): body is Buffer => body !== undefined) // removed by retention since the listing
      .map((body) => manifestSchema.parse(JSON.parse(body.toString('utf8'))));
    return manifests.map((manifest) => ({
      version: manifest.version,
      count: manifest.count,
      recordings: manifest.recordings ?? manifest.count,
      shards: manifest.shards.length,
      createdAt: manifest.createdAt,
      served: manifest.version === served,
    }));
  }

  async deleteItem(collection: string, id: string): Promise<void> {
    await this.requireKnown(collection);
    await this.commands.deleteItem(collection, id);
  }

  /**
   * `DELETE /v1/collections/:c`: the indexer (the store's only writer) removes the collection's
   * store objects and Redis keys, then the name. New items for it are refused meanwhile (409
   * COLLECTION_DELETING); `GET /v1/collections/:c` answers 404 once it is gone.
   * A name with only a settings record (an accept died between recording its batch and its
   * name, docs/segments.md "Settings") is deleted like a collection: it is recorded first, so
   * the indexer, which drops only names it serves, removes it; then the name is free again.
   */
  async deleteCollection(collection: string): Promise<void> {
    const orphaned = !(await this.isKnown(collection)) && (await this.settings.has(collection));
    if (!orphaned) await this.requireKnown(collection);
    if (!this.commands.deleteCollection) throw new AppError('NOT_READY', 'this deployment cannot delete collections');
    // Refused (false) only while a delete of it is under way already: marking again is harmless.
    if (orphaned) await this.catalog.add(collection);
    await this.commands.deleteCollection(collection);
  }

  async activate(collection: string, version: number): Promise<void> {
    await this.requireKnown(collection);
    const committed = await this.versions.list(collection);
    const manifest = committed.includes(version) ? await this.store.get(snapshotLayout.manifest(collection, version)) : undefined;
    if (!manifest) throw new AppError('SNAPSHOT_NOT_FOUND', `collection ${collection} has no snapshot version ${version} (or retention removed it)`);
    await this.commands.activateVersion(collection, version);
  }

  /**
   * Starts a reindex (202 with its id, a batch id). `model` is what the workers will load: a
   * built-in name or a card path, on the workers' file system as on this one; a card that
   * does not load here is refused with 400 before anything is queued.
   */
  async reindex(collection: string, request: ReindexRequest): Promise<{ reindexId: string }> {
    await this.requireKnown(collection);
    if (!this.commands.requestReindex) throw new AppError('NOT_READY', 'this deployment cannot reindex yet');
    let target: { id: string; dim: number } | undefined;
    if (request.model !== undefined) {
      try {
        const card = loadModelCard(request.model);
        target = { id: card.id, dim: card.dim };
      } catch (error) {
        throw new AppError('VALIDATION_FAILED', `model ${JSON.stringify(request.model)} cannot be loaded: ${(error as Error).message}`, {
          details: [{ path: 'model', message: (error as Error).message }],
        });
      }
    }
    return this.commands.requestReindex(collection, request, target);
  }

  private async requireKnown(collection: string): Promise<void> {
    if (!(await this.isKnown(collection))) throw new AppError('COLLECTION_NOT_FOUND', `no collection ${collection}`);
  }

  private async isKnown(collection: string): Promise<boolean> {
    return this.registry.get(collection) !== undefined || (await this.catalog.has(collection));
  }

  private async summarise(name: string): Promise<CollectionSummary> {
    const snapshot = this.registry.get(name);
    const model = snapshot?.manifest.model ?? null;
    return {
      name,
      model,
      dim: model?.dim ?? null,
      count: snapshot?.count ?? 0,
      // Manifests older than segments hold one row per recording and no `recordings`.
      recordings: snapshot?.recordings ?? 0,
      segments: snapshot?.count ?? 0,
      segmentation: snapshot?.manifest.segmentation ?? null,
      shards: snapshot?.manifest.shards.length ?? 0,
      snapshot: snapshot ? { version: snapshot.version, createdAt: snapshot.manifest.createdAt, loadedAt: snapshot.loadedAt.toISOString() } : null,
      pending: await this.pendingEntries(name),
    };
  }

  /** Entries the indexer has not applied: the consumer group's lag, or the whole stream before it exists. */
  pendingEntries(collection: string): Promise<number> {
    return this.stream.pendingEntries(collection);
  }
}
