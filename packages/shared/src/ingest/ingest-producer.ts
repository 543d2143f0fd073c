import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { z } from 'zod';
import { CollectionSettings } from '../collections/collection-settings.ts';
import { IngestBackpressure, type BackpressureLimits } from './ingest-backpressure.ts';
import { AppError } from '../errors.ts';
import { checkItemInput, checkSourceUrl, defaultInputLimits, type InputLimits } from './input-limits.ts';
import { checkS3Bucket } from './s3-bucket-allowlist.ts';
import { reportQueueErrors } from '../health/redis-health.ts';
import { duplicateItemId, itemIdFromUrl, newBatchId, rowsById } from '../names.ts';
import { BatchLedger, type BatchStatus } from '../queue/batch-ledger.ts';
import { ingestItemJob, jobCatalog, listSourceJob, type IngestItemPayload } from '../queue/job-catalog.ts';
import { createRedisConnection } from '../queue/redis-connection.ts';
import { createRedisKeys } from '../redis-keys.ts';
import { validationFailed } from '../validation/zod-issues.ts';
import type { Segmentation } from '../snapshot/manifest.ts';
import {
  ingestRequestSchema,
  sourceIngestRequestSchema,
  type IngestRequest,
  type IngestRequestInput,
  type SourceIngestRequest,
  type SourceIngestRequestInput,
} from './ingest-request.ts';

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
/** How long a batch record lives unless its accept completes (a 10,000-item accept takes about a second). */
const ACCEPTING_SECONDS = 600;

export interface IngestProducerConnection {
  /** Same as the services' REDIS_URL. */
  redisUrl: string;
  /** Same as the services' REDIS_NAMESPACE (default `ai`). */
  namespace?: string;
  /**
   * Stream, queue and collection limits past which `submit` is refused (BACKLOG_FULL with
   * `details.retryAfterSeconds`, TOO_MANY_COLLECTIONS, COLLECTION_DELETING); unset fields take
   * the services' defaults (defaultBackpressureLimits), so set them as the API's are set.
   */
  backpressure?: Partial<BackpressureLimits>;
  /** Largest item list one `submit` takes (default 10,000, as the API). */
  maxItemsPerRequest?: number;
  /** Caps on each item's id, URL and metadata (default: defaultInputLimits, as the API). */
  inputLimits?: InputLimits;
  /**
   * Buckets `s3://` items and sources may name, refused at submit with SOURCE_NOT_ALLOWED
   * otherwise. Unset: not checked here (the workers refuse them, per item, by their own
   * S3_ALLOWED_BUCKETS).
   */
  allowedS3Buckets?: readonly string[];
  /** Segmentation of collections this producer creates without a request saying (default DEFAULT_SEGMENTATION, as the API). */
  segmentation?: Segmentation;
}

/** What a producer is built from (the API builds them from its config; `connect` from a connection). */
export interface IngestProducerParts {
  /** The ingest queue. */
  queue: Queue;
  ledger: BatchLedger;
  /** Largest item list one request takes. */
  maxItemsPerRequest: number;
  /** Refuses items while the queue or the collection's stream is over its limit. */
  backpressure: IngestBackpressure;
  /** Fixes a new collection's segmentation before its first item is queued. */
  settings: CollectionSettings;
  /** Input caps and allowed buckets, checked before anything is recorded. */
  admission?: ProducerAdmission | undefined;
  /** The connection `close` ends; unset: the parts belong to whoever built them. */
  ownedConnection?: Redis | undefined;
}

/**
 * Puts audio on the `ingest` queue and follows its batch: the one implementation behind
 * `POST /v1/ingest`, and the typed producer for Node services that feed the queue directly
 * (no HTTP). The job payload it writes is versioned (`v: 1`, job-catalog.ts), so workers of
 * this version accept it whoever enqueued it.
 *
 * ```ts
 * const producer = IngestProducer.connect({ redisUrl: 'redis://127.0.0.1:6379' });
 * const { batchId } = await producer.submit({ collection: 'field', items: [{ url: 'https://…/a.mp3' }] });
 * const done = await producer.waitForBatch(batchId);
 * await producer.close();
 * ```
 */
export class IngestProducer {
  private readonly queue: Queue;
  private readonly ledger: BatchLedger;
  private readonly maxItemsPerRequest: number;
  private readonly backpressure: IngestBackpressure;
  private readonly settings: CollectionSettings;
  private readonly ownedConnection: Redis | undefined;
  private readonly admission: ProducerAdmission;

  constructor(parts: IngestProducerParts) {
    this.queue = parts.queue;
    this.ledger = parts.ledger;
    this.maxItemsPerRequest = parts.maxItemsPerRequest;
    this.backpressure = parts.backpressure;
    this.settings = parts.settings;
    this.ownedConnection = parts.ownedConnection;
    this.admission = parts.admission ?? {};
  }

  static connect(connection: IngestProducerConnection): IngestProducer {
    const redis = createRedisConnection(connection.redisUrl, 'ingest-producer');
    const keys = createRedisKeys(connection.namespace);
    const queue = new Queue(jobCatalog.ingestItem.queue, { connection: redis, prefix: keys.queuePrefix });
    reportQueueErrors(queue, 'ingest queue');
    const settings = new CollectionSettings(redis, keys, connection.segmentation);
    const backpressure = new IngestBackpressure(redis, keys, queue, connection.backpressure);
    const admission = { inputLimits: connection.inputLimits, allowedS3Buckets: connection.allowedS3Buckets };
    const ledger = new BatchLedger(redis, keys);
    return new IngestProducer({
      queue,
      ledger,
      maxItemsPerRequest: connection.maxItemsPerRequest ?? 10_000,
      backpressure,
      settings,
      admission,
      ownedConnection: redis,
    });
  }

  /** Validates like the API (VALIDATION_FAILED with each issue), then accepts. */
  async submit(request: IngestRequestInput): Promise<AcceptedBatch> {
    return this.accept(parseOrThrow(ingestRequestSchema, request));
  }

  async submitSource(request: SourceIngestRequestInput): Promise<AcceptedSource> {
    return this.acceptSource(parseOrThrow(sourceIngestRequestSchema, request));
  }

  async status(batchId: string): Promise<BatchStatus | undefined> {
    return this.ledger.status(batchId);
  }

  /** Polls the batch until every item is indexed or failed; `onProgress` sees each status. */
  async waitForBatch(batchId: string, options: { timeoutMs?: number; pollMs?: number; onProgress?: (status: BatchStatus) => void } = {}): Promise<BatchStatus> {
    const deadline = Date.now() + (options.timeoutMs ?? 3_600_000);
    for (;;) {
      const status = await this.ledger.status(batchId);
      if (!status) throw new AppError('BATCH_NOT_FOUND', `no batch ${batchId}`);
      options.onProgress?.(status);
      if (status.state === 'done') return status;
      if (Date.now() > deadline) throw new AppError('NOT_READY', `batch ${batchId} not done in time`, { details: status });
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
    }
  }

  /** Closes what `connect` opened (a producer built from parts leaves them to their owner). */
  async close(): Promise<void> {
    if (!this.ownedConnection) return;
    await this.queue.close();
    this.ownedConnection.disconnect();
  }

  /**
   * Refuses the request while its collection may not grow (ingest-backpressure.ts), records
   * the batch with its collection's settings (`recordBatch`), then enqueues one job per item. Job ids are deterministic, so when
   * an enqueue page fails and is retried, the jobs that did land are not added twice.
   */
  async accept(request: IngestRequest): Promise<AcceptedBatch> {
    await this.backpressure.admit(request.collection);
    const { maxItemsPerRequest } = this;
    if (request.items.length > maxItemsPerRequest) {
      throw new AppError('PAYLOAD_TOO_LARGE', `at most ${maxItemsPerRequest} items per request (larger archives: use a source)`, {
        details: { items: request.items.length, max: maxItemsPerRequest },
      });
    }
    const batchId = newBatchId('ingest');
    const itemIds = request.items.map((item) => item.id ?? itemIdFromUrl(item.url));
    for (const [id, indexes] of rowsById(itemIds)) if (indexes.length > 1) throw duplicateItemId(id, indexes);
    const payloads: IngestItemPayload[] = request.items.map((item, index) => {
      this.admit(item, `items.${index}`);
      return { v: 1, batchId, collection: request.collection, itemId: itemIds[index]!, url: item.url, metadata: item.metadata };
    });

    await this.recordBatch(request.collection, batchId, payloads.length, request.segmentation);
    await enqueueOrDiscardBatch(this.ledger, request.collection, batchId, async () => {
      for (let start = 0; start < payloads.length; start += ENQUEUE_PAGE) {
        const page = payloads.slice(start, start + ENQUEUE_PAGE).map((payload) => ingestItemJob(payload));
        await withRetries(ENQUEUE_ATTEMPTS, () => this.queue.addBulk(page));
      }
    });
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
    await this.backpressure.admit(request.collection);
    checkSourceUrl(request.source, this.admission.inputLimits ?? defaultInputLimits);
    if (this.admission.allowedS3Buckets) checkS3Bucket(request.source, this.admission.allowedS3Buckets, 'source');
    const batchId = newBatchId('ingest');
    await this.recordBatch(request.collection, batchId, 0, request.segmentation, { listing: true });
    const job = listSourceJob({ v: 1, batchId, collection: request.collection, source: request.source, page: 0 });
    await enqueueOrDiscardBatch(this.ledger, request.collection, batchId, () =>
      withRetries(ENQUEUE_ATTEMPTS, () => this.queue.add(job.name, job.data, job.opts)),
    );
    return { batchId, collection: request.collection, source: request.source, listing: 'running' };
  }

  /**
   * Fixes the collection's settings and records the batch in one step that a DELETE cannot
   * come between (create-batch.lua), then the name, unless a delete is under way
   * (COLLECTION_DELETING; SEGMENTATION_MISMATCH for other settings than the collection has).
   */
  private async recordBatch(collection: string, batchId: string, total: number, requested: Segmentation | undefined, options: { listing?: boolean } = {}) {
    const claim = this.settings.claim(requested);
    const outcome = await this.ledger.createBatch(collection, batchId, total, { ...options, acceptingSeconds: ACCEPTING_SECONDS, settings: claim });
    this.settings.settled(collection, claim, outcome);
  }

  /** One item's caps and bucket, checked before the batch is recorded. */
  private admit(item: IngestRequest['items'][number], path: string): void {
    checkItemInput(item, this.admission.inputLimits ?? defaultInputLimits, path);
    if (this.admission.allowedS3Buckets) checkS3Bucket(item.url, this.admission.allowedS3Buckets, `${path}.url`);
  }
}

/** What a request must satisfy before anything is recorded for it (see IngestProducerConnection). */
export interface ProducerAdmission {
  inputLimits?: InputLimits | undefined;
  allowedS3Buckets?: readonly string[] | undefined;
}

/**
 * An accept that fails half-way (the queue refuses a page after its retries) leaves no batch
 * running: the record is removed, and the caller, who never saw the id, gets NOT_READY; one
 * whose record a collection delete removed meanwhile gets COLLECTION_DELETING. If
 * even the removal fails (Redis gone), or the process dies mid-accept, the record expires on
 * its own ACCEPTING_SECONDS after it was made, since only a completed accept keeps it.
 */
async function enqueueOrDiscardBatch(ledger: BatchLedger, collection: string, batchId: string, enqueue: () => Promise<unknown>): Promise<void> {
  try {
    await enqueue();
  } catch (error) {
    await ledger.discardBatch(collection, batchId).catch(() => undefined);
    throw error;
  }
  const confirmed = await withRetries(ENQUEUE_ATTEMPTS, () => ledger.confirmBatch(collection, batchId));
  if (!confirmed) {
    // The drop removed the record while the jobs were being queued (or the accept outlived its
    // TTL): the queued jobs find no batch and end without output, so nothing was kept.
    throw new AppError('COLLECTION_DELETING', `collection ${collection} was deleted while this request was being accepted; nothing of it is kept`);
  }
}

function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  throw validationFailed(result.error);
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
