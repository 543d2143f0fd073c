import { parentPort, workerData } from 'node:worker_threads';
import { loadFlatIPAddon } from './flat-ip-addon.ts';
import type { SearchThreadOptions, SearchThreadReply, SearchThreadRequest, ShardPart } from './search-thread-protocol.ts';
import { emptyTopK, mergeTopK, type TopKLists } from './top-k-merge.ts';

/**
 * One search thread. Shards arrive once as shared memory and stay until dropped; each
 * search names a snapshot view and the slice of its rows this thread scans. Messages are
 * handled in order, so a view dropped after a search was posted is still there for it.
 */
interface Shard {
  dim: number;
  vectors: Float32Array;
  count: number;
}

const options = workerData as SearchThreadOptions;
const addon = loadFlatIPAddon();
addon.configure(options.blasDatabaseBlock, options.blasQueryBlock, options.blasThreshold ?? 0);
const shards = new Map<string, Shard>();
const views = new Map<string, ShardPart[]>();
const port = parentPort!;

port.on('message', (request: SearchThreadRequest) => {
  switch (request.type) {
    case 'add-shard':
      shards.set(request.shardKey, { dim: request.dim, vectors: request.vectors, count: request.vectors.length / request.dim });
      return;
    case 'drop-shard':
      shards.delete(request.shardKey);
      return;
    case 'add-view':
      views.set(request.viewKey, request.parts);
      return;
    case 'drop-view':
      views.delete(request.viewKey);
      return;
    case 'search': {
      let reply: SearchThreadReply;
      try {
        reply = { type: 'result', requestId: request.requestId, ...searchView(request) };
      } catch (error) {
        reply = { type: 'error', requestId: request.requestId, message: error instanceof Error ? error.message : String(error) };
      }
      port.postMessage(
        reply,
        reply.type === 'result' ? [reply.scores.buffer as ArrayBuffer, reply.parts.buffer as ArrayBuffer, reply.rows.buffer as ArrayBuffer] : [],
      );
      return;
    }
  }
});

function searchView(request: Extract<SearchThreadRequest, { type: 'search' }>): TopKLists {
  const parts = views.get(request.viewKey);
  if (!parts) throw new Error(`view ${request.viewKey} is not loaded in this thread`);
  const lists: TopKLists[] = [];
  const queryCount = request.queries.length / request.dim;
  let partStart = 0;
  for (let partIndex = 0; partIndex < parts.length; partIndex += 1) {
    const part = parts[partIndex]!;
    const shard = shards.get(part.shardKey);
    if (!shard) throw new Error(`shard ${part.shardKey} is not loaded in this thread`);
    const from = Math.max(request.rowStart, partStart) - partStart;
    const to = Math.min(request.rowEnd, partStart + shard.count) - partStart;
    partStart += shard.count;
    if (from >= to) continue;
    const { scores, rows } = addon.search(shard.vectors, shard.dim, from, to, request.queries, request.k, part.excluded);
    const partIndexes = new Int32Array(rows.length);
    for (let slot = 0; slot < rows.length; slot += 1) partIndexes[slot] = rows[slot]! < 0 ? -1 : partIndex;
    lists.push({ scores, parts: partIndexes, rows });
  }
  return lists.length === 0 ? emptyTopK(queryCount, request.k) : mergeTopK(lists, queryCount, request.k);
}
