import type { ApiClient } from '../api-client.ts';
import { ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { formatTable } from './search-command.ts';

/** Thin commands that print one API answer: as JSON with --json, else as a table or summary. */
function print(json: boolean, answer: unknown, text: () => string): ExitCodeValue {
  console.log(json ? JSON.stringify(answer) : text());
  return ExitCode.OK;
}

export async function statusCommand(api: ApiClient, batchId: string, json: boolean): Promise<ExitCodeValue> {
  const status = await api.json<{
    total: number;
    embedded: number;
    indexed: number;
    failed: number;
    state: string;
    failures: { id: string; code: string; message: string }[];
  }>('GET', `/v1/batches/${encodeURIComponent(batchId)}`);
  return print(json, status, () =>
    [
      `batch ${batchId}: ${status.state}; ${status.indexed} indexed, ${status.failed} failed, ${status.embedded} embedded of ${status.total}`,
      ...status.failures.map((failure) => `  ${failure.code.padEnd(24)} ${failure.id}  ${failure.message}`),
    ].join('\n'),
  );
}

export async function collectionsCommand(api: ApiClient, json: boolean): Promise<ExitCodeValue> {
  const answer = await api.json<{
    collections: { name: string; count?: number; dim?: number; model?: { id: string } | string; snapshot?: { version: number } | number; pending?: number }[];
  }>('GET', '/v1/collections');
  return print(json, answer, () =>
    formatTable(
      ['collection', 'count', 'model', 'dim', 'version', 'pending'],
      answer.collections.map((collection) => [
        collection.name,
        String(collection.count ?? ''),
        typeof collection.model === 'object' ? collection.model.id : String(collection.model ?? ''),
        String(collection.dim ?? ''),
        String(typeof collection.snapshot === 'object' ? collection.snapshot.version : (collection.snapshot ?? '')),
        String(collection.pending ?? ''),
      ]),
    ),
  );
}

export async function snapshotsCommand(api: ApiClient, collection: string, json: boolean): Promise<ExitCodeValue> {
  const answer = await api.json<{ snapshots: { version: number; count: number; createdAt: string; active?: boolean }[] }>(
    'GET',
    `/v1/collections/${encodeURIComponent(collection)}/snapshots`,
  );
  return print(json, answer, () =>
    formatTable(
      ['version', 'count', 'created', ''],
      answer.snapshots.map((snapshot) => [String(snapshot.version), String(snapshot.count), snapshot.createdAt, snapshot.active ? 'served' : '']),
    ),
  );
}

export async function activateCommand(api: ApiClient, collection: string, version: string, json: boolean): Promise<ExitCodeValue> {
  const answer = await api.json<unknown>('POST', `/v1/collections/${encodeURIComponent(collection)}/snapshots/${encodeURIComponent(version)}/activate`, {});
  return print(json, answer, () => `asked the indexer to serve version ${version} of ${collection} again (as a new version)`);
}

export async function deleteCollectionCommand(api: ApiClient, collection: string, json: boolean): Promise<ExitCodeValue> {
  const answer = await api.json<{ collection: string; deleting: boolean }>('DELETE', `/v1/collections/${encodeURIComponent(collection)}`);
  return print(json, answer, () => `asked the indexer to delete ${collection} (snapshots, batches, stream); the name is free again once it is gone`);
}

export async function reindexCommand(api: ApiClient, collection: string, mode: string, model: string | undefined, json: boolean): Promise<ExitCodeValue> {
  const answer = await api.json<{ reindexId: string }>('POST', `/v1/collections/${encodeURIComponent(collection)}/reindex`, { mode, model });
  return print(json, answer, () => `reindex ${answer.reindexId} started for ${collection} (mode ${mode})`);
}
