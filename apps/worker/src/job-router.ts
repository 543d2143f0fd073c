import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import { jobCatalog } from '@audio-index/shared';

type Processor = (job: Job, token?: string) => Promise<unknown>;

/** The ingest queue carries item jobs and source-listing jobs; each name has its processor. */
export function routeJobsByName(processors: { ingestItem: Processor; listSource: Processor }): Processor {
  return async (job, token) => {
    if (job.name === jobCatalog.ingestItem.name) return processors.ingestItem(job, token);
    if (job.name === jobCatalog.listSource.name) return processors.listSource(job, token);
    throw new UnrecoverableError(`unknown job name ${JSON.stringify(job.name)}`);
  };
}
