import { randomBytes } from 'node:crypto';
import type { Queue } from 'bullmq';
import type {
  BatchLedger} from '@audio-index/shared';
import {
  AppError,
  ingestJobId,
  itemIdFromUrl,
  jobCatalog,
  type IngestItemPayload,
} from '@audio-index/shared';
import type { IngestRequest } from './ingest-request.ts';

export interface AcceptedBatch {
  batchId: string;
  collection: string;
  accepted: number;
  items: { id: string; url: string }[];
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
    if (request.items.length > this.maxItemsPerRequest) {
      throw new AppError('PAYLOAD_TOO_LARGE', `at most ${this.maxItemsPerRequest} items per request`, {
        details: { items: request.items.length, max: this.maxItemsPerRequest },
      });
    }
    const batchId = `b${Date.now().toString(36)}${randomBytes(6).toString('hex')}`;
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
    const spec = jobCatalog.ingestItem;
    for (let start = 0; start < payloads.length; start += ENQUEUE_PAGE) {
      const page = payloads.slice(start, start + ENQUEUE_PAGE).map((payload) => ({
        name: spec.name,
        data: payload,
        opts: {
          jobId: ingestJobId(batchId, payload.collection, payload.itemId),
          attempts: spec.attempts,
          backoff: spec.backoff,
          removeOnComplete: spec.removeOnComplete,
          removeOnFail: spec.removeOnFail,
        },
      }));
      await withRetries(ENQUEUE_ATTEMPTS, () => this.queue.addBulk(page));
    }
    return {
      batchId,
      collection: request.collection,
      accepted: payloads.length,
      items: payloads.map((payload) => ({ id: payload.itemId, url: payload.url })),
    };
  }
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
