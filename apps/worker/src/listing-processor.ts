import type { Job, Queue } from 'bullmq';
import { DelayedError, UnrecoverableError } from 'bullmq';
import { listSourcePage, type SourceListingContext } from '@audio-index/audio-input';
import { ingestItemJob, itemIdFromUrl, jobCatalog, listSourceJob, type BatchLedger, type ListSourcePayload, type Logger } from '@audio-index/shared';
import { failureOf, isFinalAttempt } from './job-outcome.ts';

export interface ListingProcessorDeps {
  queue: Queue;
  ledger: BatchLedger;
  listing: SourceListingContext;
  pageSize: number;
  /**
   * A page waits while more item jobs than this are waiting, so listing a million objects
   * holds the queue near this size instead of putting a million jobs in Redis at once.
   */
  maxWaitingItems: number;
  logger: Logger;
}

/** addBulk of a whole page (up to 1000 jobs) is one bounded round trip. */
const ENQUEUE_CHUNK = 1000;
/** How long a page waits before looking at the queue again when it is full. */
const FULL_QUEUE_RECHECK_MS = 5_000;

/**
 * One page of a bulk source. Every step is idempotent, so a run retried after a crash at
 * any point converges on the same batch: the page is listed once and saved on the job;
 * item job ids are deterministic (re-adding is a no-op); the total grows once per page
 * (the ledger counts pages in order); the next page's job id is deterministic too.
 */
export function createListingProcessor(deps: ListingProcessorDeps) {
  const spec = jobCatalog.listSource;
  return async (job: Job, token?: string): Promise<{ listed: number; last: boolean }> => {
    const parsed = spec.payload.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`bad listing payload: ${parsed.error.message}`);
    const payload: ListSourcePayload = parsed.data;
    if (!payload.listed && (await deps.queue.getWaitingCount()) > deps.maxWaitingItems) {
      // Not a failure: the same page runs again later, without using up an attempt.
      await job.moveToDelayed(Date.now() + FULL_QUEUE_RECHECK_MS, token);
      throw new DelayedError();
    }
    try {
      let listed = payload.listed;
      if (!listed) {
        listed = await listSourcePage(payload.source, payload.cursor, deps.pageSize, deps.listing);
        await job.updateData({ ...payload, listed } satisfies ListSourcePayload);
      }
      const items = listed.urls.map((url) =>
        ingestItemJob({ v: 1, batchId: payload.batchId, collection: payload.collection, itemId: itemIdFromUrl(url), url }),
      );
      for (let start = 0; start < items.length; start += ENQUEUE_CHUNK) await deps.queue.addBulk(items.slice(start, start + ENQUEUE_CHUNK));
      const last = listed.nextCursor === undefined;
      await deps.ledger.recordListedPage(payload.collection, payload.batchId, payload.page, items.length, last);
      if (!last) {
        const { batchId, collection, source } = payload;
        const next = listSourceJob({ v: 1, batchId, collection, source, page: payload.page + 1, cursor: listed.nextCursor });
        // The next page keeps this one's retry policy, whoever chose it.
        await deps.queue.add(next.name, next.data, { ...next.opts, attempts: job.opts.attempts, backoff: job.opts.backoff });
      }
      deps.logger.debug({ batchId: payload.batchId, page: payload.page, listed: items.length, last }, 'listed a source page');
      return { listed: items.length, last };
    } catch (error) {
      const failure = failureOf(error, job);
      if (!isFinalAttempt(failure, job)) throw error;
      await deps.ledger.recordListingFailure(payload.collection, payload.batchId, { id: payload.source, url: payload.source, ...failure });
      deps.logger.warn({ batchId: payload.batchId, source: payload.source, code: failure.code }, 'listing a source failed');
      throw new UnrecoverableError(`${failure.code}: ${failure.message}`);
    }
  };
}
