import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import {
  AppError,
  ingestItemJob,
  itemIdFromUrl,
  listSourceJob,
  type BatchLedger,
  type IngestItemPayload,
} from '@audio-index/shared';
import type { IngestRequest, SourceIngestRequest } from './ingest-request.ts';

export interface AcceptedBatch {
  batchId: string;
  collection: string;
  accepted: number;
  items: { id: string; url: string }[];
}

export interface AcceptedSource {
  batchId: string;
  collection: string;
  source: string;
  /** Items are counted into the batch total as the listing finds them. */
  listing: 'running';
}

/** addBulk in pages keeps each Redis round trip bounded for 10k-item requests. */
const ENQUEUE_PAGE = 1000;
const ENQUEUE_ATTEMPTS = 3;

export class IngestService {
  constructor(
    private readonly queue: Queue,
    private readonly ledger: BatchLedger,
    private readonly maxItemsPerRequest: number,
  ) {}

  /**
   * Records the batch, then enqueues one job per item. Job ids are deterministic, so when
   * an enqueue page fails and is retried, the jobs that did land are not added twice.
   */
  async accept(request: IngestRequest): Promise<AcceptedBatch> {
    const { maxItemsPerRequest } = this;
    if (request.items.length > maxItemsPerRequest) {
      throw new AppError('PAYLOAD_TOO_LARGE', `at most ${maxItemsPerRequest} items per request (larger archives: use a source)`, {
        details: { items: request.items.length, max: maxItemsPerRequest },
      });
    }
    const batchId = newBatchId();
    const seen = new Map<string, number>();
    const payloads: IngestItemPayload[] = request.items.map((item, index) => {
      const itemId = item.id ?? itemIdFromUrl(item.url);
      const earlier = seen.get(itemId);
      if (earlier !== undefined) {
        throw new AppError('DUPLICATE_ITEM_ID', `items ${earlier} and ${index} have the same id ${JSON.stringify(itemId)}`, {
          details: { id: itemId, indexes: [earlier, index] },
        });
      }
      seen.set(itemId, index);
      return { v: 1, batchId, collection: request.collection, itemId, url: item.url, metadata: item.metadata };
    });

    await this.ledger.createBatch(request.collection, batchId, payloads.length);
    for (let start = 0; start < payloads.length; start += ENQUEUE_PAGE) {
      const page = payloads.slice(start, start + ENQUEUE_PAGE).map((payload) => ingestItemJob(payload));
      await withRetries(ENQUEUE_ATTEMPTS, () => this.queue.addBulk(page));
    }
    return {
      batchId,
      collection: request.collection,
      accepted: payloads.length,
      items: payloads.map((payload) => ({ id: payload.itemId, url: payload.url })),
    };
  }

  /**
   * Records an empty batch whose listing is running and enqueues the first page's listing
   * job; the worker lists the source page by page from there. Whether the source exists and
   * may be read is the worker's to find out: it holds the credentials and FILE_ROOT.
   */
  async acceptSource(request: SourceIngestRequest): Promise<AcceptedSource> {
    const batchId = newBatchId();
    await this.ledger.createBatch(request.collection, batchId, 0, { listing: true });
    const job = listSourceJob({ v: 1, batchId, collection: request.collection, source: request.source, page: 0 });
    await withRetries(ENQUEUE_ATTEMPTS, () => this.queue.add(job.name, job.data, job.opts));
    return { batchId, collection: request.collection, source: request.source, listing: 'running' };
  }
}

function newBatchId(): string {
  return `b${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
}

async function withRetries<T>(attempts: number, action: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await action();
    } catch (error) {
      if (attempt >= attempts) throw new AppError('NOT_READY', 'the queue is unavailable; retry the request', { cause: error });
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  }
}
