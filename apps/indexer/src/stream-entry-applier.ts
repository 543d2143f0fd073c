import {
  compareStreamIds,
  decodeStreamFields,
  encodeCollectionModel,
  readManifest,
  type Logger,
  type ObjectStore,
  type StreamOperation,
} from '@audio-index/shared';
import type { AppliedEntries } from './applied-entries.ts';
import type { CollectionState } from './collection-state.ts';
import type { ReindexCoordinator } from './reindex/reindex-coordinator.ts';
import type { RawStreamEntry } from './stream-reader.ts';
import { modelMismatch, rowsOf } from './stream-upsert.ts';

/**
 * What one stream entry does to the leader's state: an upsert or delete changes the served
 * generation (and a build under way), an activate rolls back, a reindex request starts a
 * build, a re-embedded vector goes to the build (reindex/reindex-coordinator.ts). Every
 * entry is recorded in `applied`, so the commit of the next publish acks it and credits
 * its batch.
 */
export class StreamEntryApplier {
  constructor(
    private readonly store: ObjectStore,
    private readonly reindex: ReindexCoordinator,
    private readonly log: Logger,
  ) {}

  async apply(state: CollectionState, applied: AppliedEntries, entry: RawStreamEntry): Promise<void> {
    applied.add(entry.id);
    let operation: StreamOperation;
    try {
      operation = decodeStreamFields(entry.fields);
    } catch (error) {
      this.log.error({ err: error, entryId: entry.id }, 'dropping malformed stream entry');
      return;
    }
    // Entries at or below the snapshot's offset are in it already: only acknowledge them.
    const alreadyPublished = compareStreamIds(entry.id, state.streamOffset) <= 0;
    if (operation.op === 'upsert' || operation.op === 'delete') {
      applied.items.push({ itemId: operation.id, batchId: operation.batchId, entryId: entry.id, op: operation.op });
      this.log.debug({ itemId: operation.id, batchId: operation.batchId, entryId: entry.id, op: operation.op, alreadyPublished }, 'applied');
    }
    if (operation.op === 'activate') {
      if (!alreadyPublished) {
        if (state.build) this.reindex.abandon(state, applied, 'REINDEX_ABANDONED', `snapshot version ${operation.version} was activated while the reindex ran`);
        await this.activate(state, applied, operation.version);
      }
      return;
    }
    if (operation.op === 'reindex') {
      if (!alreadyPublished) await this.reindex.plan(state, applied, operation);
      return;
    }
    if (operation.op === 'delete') {
      if (!alreadyPublished) {
        state.delete(operation.id);
        state.build?.rows.delete(operation.id);
      }
      return;
    }
    if (operation.generation !== undefined) {
      this.reindex.applyRebuilt(state, applied, operation, alreadyPublished);
      return;
    }
    const model = state.model;
    if (model && (model.id !== operation.modelId || model.dim !== operation.dim)) {
      const previous = state.previousModel;
      if (previous && previous.id === operation.modelId && previous.dim === operation.dim && operation.url && operation.batchId) {
        // Embedded with the model a reindex just replaced: embedded again with the new one.
        if (!alreadyPublished)
          state.queueRequeue({ id: operation.id, url: operation.url, metadata: operation.metadata, batchId: operation.batchId, after: entry.id });
        return;
      }
      applied.reject(operation.batchId, modelMismatch(operation, model));
      return;
    }
    if (!alreadyPublished) {
      state.adoptFirstUpsert({ id: operation.modelId, dim: operation.dim }, operation.segmentation);
      state.upsert(operation.id, rowsOf(operation));
      if (state.build) this.reindex.servedItemChanged(state.build, applied, operation, entry.id);
    }
    applied.creditIndexed(operation.batchId);
  }

  private async activate(state: CollectionState, applied: AppliedEntries, version: number): Promise<void> {
    try {
      const manifest = await readManifest(this.store, state.collection, version);
      const modelBefore = state.model?.id;
      await state.activate(this.store, manifest);
      if (modelBefore !== manifest.model.id) {
        // Back across a reindex: new items are embedded with the model of that version again.
        applied.extras.collectionModel = manifest.modelRef ? encodeCollectionModel({ id: manifest.model.id, ref: manifest.modelRef }) : null;
      }
      this.log.info({ version }, 'activating an earlier version');
    } catch (error) {
      // A version retention already removed (or that never existed) cannot be restored.
      this.log.error({ err: error, version }, 'ignoring activate of an unavailable version');
    }
  }
}
