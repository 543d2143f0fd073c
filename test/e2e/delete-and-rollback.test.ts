import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { closeAll, createTestBucket, uniqueName } from '../harness/test-services.ts';
import { startSystem, waitForBatch, type RunningSystem } from '../support/running-system.ts';
import { DEFAULT_MODEL_DIM } from '../support/default-model.ts';

interface SearchBody {
  snapshot: { version: number; count: number };
  results: { id: string; score: number }[];
}

/** A fixed unit-ish vector per row, so each row is its own nearest neighbour. */
function rowVector(row: number, dim: number): number[] {
  return Array.from({ length: dim }, (_, index) => Math.sin((row + 1) * (index + 3) * 0.7));
}

describe('delete and rollback over HTTP (api -> stream -> indexer -> snapshot)', () => {
  const collection = uniqueName('rollback');
  let system: RunningSystem;
  let dim: number;

  beforeAll(async () => {
    const { bucket } = await createTestBucket('rollback');
    system = await startSystem({ bucket });
    const health = await system.call<{ collections: unknown[] }>('GET', '/v1/collections');
    expect(health.status).toBe(200);
    dim = DEFAULT_MODEL_DIM;
  });

  afterAll(async () => {
    await system?.stop();
    await closeAll();
  });

  async function searchUntil(vector: number[], accept: (body: SearchBody) => boolean): Promise<SearchBody> {
    for (let attempt = 0; attempt < 150; attempt += 1) {
      const { status, body } = await system.call<SearchBody>('POST', '/v1/search', { collection, k: 3, query: { vector } });
      if (status === 200 && accept(body)) return body;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('search never reached the expected state');
  }

  it('hides a deleted item at once in the next snapshot, and brings it back by activating an older version', async () => {
    const items = Array.from({ length: 10 }, (_, row) => ({ id: `item-${row}`, vector: rowVector(row, dim), metadata: { row } }));
    const accepted = await system.call<{ batchId: string }>('POST', `/v1/collections/${collection}/vectors`, { items });
    expect(accepted.status).toBe(202);
    expect(await waitForBatch(system, accepted.body.batchId)).toMatchObject({ indexed: 10, failed: 0 });
    const before = await searchUntil(rowVector(4, dim), (body) => body.snapshot.count === 10);
    expect(before.results[0]!.id).toBe('item-4');

    const deleted = await system.call('DELETE', `/v1/collections/${collection}/items/item-4`);
    expect(deleted.status).toBe(202);
    const after = await searchUntil(rowVector(4, dim), (body) => body.snapshot.count === 9);
    expect(after.results.map((result) => result.id)).not.toContain('item-4');
    expect(after.results).toHaveLength(3);

    const listing = await system.call<{ snapshots: { version: number; count: number }[] }>('GET', `/v1/collections/${collection}/snapshots`);
    expect(listing.status).toBe(200);
    const withItem = listing.body.snapshots.find((snapshot) => snapshot.count === 10)!;
    expect(withItem).toBeDefined();
    // A JSON body (as the CLI sends): a keyless API refuses a body-less POST, which any site could send (issue 11 item 12).
    const activated = await system.call('POST', `/v1/collections/${collection}/snapshots/${withItem.version}/activate`, {});
    expect([200, 202]).toContain(activated.status);
    const restored = await searchUntil(rowVector(4, dim), (body) => body.snapshot.count === 10 && body.snapshot.version > after.snapshot.version);
    expect(restored.results[0]!.id).toBe('item-4');

    const missing = await system.call<{ error: { code: string } }>('POST', `/v1/collections/${collection}/snapshots/999999/activate`, {});
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('SNAPSHOT_NOT_FOUND');
  });
});
