import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { jobCatalog, summariseIssues, validationIssues, type BatchLedger, type ErrorCode, type Logger } from '@audio-index/shared';
import { batchOfPayload } from './job-outcome.ts';

type Processor = (job: Job, token?: string) => Promise<unknown>;

export interface JobRouterDeps {
  ledger: BatchLedger;
  logger: Logger;
  /**
   * A job found stalled (its worker died holding it) more often than this ends as
   * WORKER_STALLED instead of running again: a recording that kills its worker every time
   * (OOM on a long file) must not take worker after worker down.
   */
  maxStalls: number;
}

/**
 * The ingest queue carries item jobs and source-listing jobs; each name has its processor.
 * Before a processor runs, the two ways a job could end without ever recording an outcome
 * are turned into recorded failures, so its batch still reaches `done`:
 * - a payload that does not parse (BAD_PAYLOAD): the processor could not name the batch;
 * - a job that stalled more than `maxStalls` times (WORKER_STALLED). BullMQ's own limit
 *   (`maxStalledCount`) fails such a job without calling the processor, so the worker runs
 *   with that limit out of reach (start-worker.ts) and the limit is applied here instead,
 *   under the job's lock, through the ledger's once-per-job record.
 */
export function routeJobsByName(processors: { ingestItem: Processor; listSource: Processor }, deps: JobRouterDeps): Processor {
  const specs = [jobCatalog.ingestItem, jobCatalog.listSource] as const;
  return async (job, token) => {
    const spec = specs.find((candidate) => candidate.name === job.name);
    if (!spec) throw new UnrecoverableError(`unknown job name ${JSON.stringify(job.name)}`);
    const parsed = spec.payload.safeParse(job.data);
    if (!parsed.success) return endUnrun(job, deps, 'BAD_PAYLOAD', `bad ${job.name} payload: ${summariseIssues(validationIssues(parsed.error))}`);
    if (job.stalledCounter > deps.maxStalls) {
      return endUnrun(job, deps, 'WORKER_STALLED', `the job's worker stopped mid-job ${job.stalledCounter} times (killed, or out of memory); not run again`);
    }
    return spec.name === jobCatalog.ingestItem.name ? processors.ingestItem(job, token) : processors.listSource(job, token);
  };
}

async function endUnrun(job: Job, deps: JobRouterDeps, code: ErrorCode, message: string): Promise<never> {
  const batch = batchOfPayload(job.data);
  const failure = { code, message, attempts: job.attemptsMade + 1 };
  if (!batch) {
    deps.logger.error({ jobId: job.id, name: job.name, code }, 'a job without a usable batch cannot be recorded');
  } else if (job.name === jobCatalog.listSource.name) {
    await deps.ledger.recordListingFailure(batch.collection, batch.batchId, { id: batch.source, url: batch.source, ...failure });
  } else {
    await deps.ledger.recordFailure(batch.collection, batch.batchId, job.id!, { id: batch.itemId, url: batch.url, ...failure });
  }
  deps.logger.warn({ jobId: job.id, name: job.name, code, stalls: job.stalledCounter }, 'job ended without running');
  throw new UnrecoverableError(`${code}: ${message}`);
}
