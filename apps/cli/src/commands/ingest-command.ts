import type { ApiClient } from '../api-client.ts';
import { CliError, ExitCode, type ExitCodeValue } from '../exit-codes.ts';
import { planIngest } from '../ingest-targets.ts';
import { ProgressLine, type BatchProgress } from '../progress-line.ts';

export interface IngestOptions {
  collection?: string;
  wait: boolean;
  timeout: number;
  json: boolean;
}

interface BatchStatus extends BatchProgress {
  batchId: string;
  collection: string;
  state: string;
  failures: { id: string; url: string; code: string; message: string; attempts: number }[];
}

/** Largest request the CLI sends; longer lists go as several batches, reported together. */
const ITEMS_PER_REQUEST = 5000;

export async function ingestCommand(api: ApiClient, targets: string[], options: IngestOptions): Promise<ExitCodeValue> {
  const plan = await planIngest(targets);
  const batchIds: string[] = [];
  if (plan.kind === 'source') {
    const accepted = await api.json<{ batchId: string }>('POST', '/v1/ingest', { collection: options.collection, source: plan.source });
    batchIds.push(accepted.batchId);
  } else {
    for (let start = 0; start < plan.items.length; start += ITEMS_PER_REQUEST) {
      const items = plan.items.slice(start, start + ITEMS_PER_REQUEST);
      const accepted = await api.json<{ batchId: string }>('POST', '/v1/ingest', { collection: options.collection, items });
      batchIds.push(accepted.batchId);
    }
  }
  if (!options.wait) {
    if (options.json) console.log(JSON.stringify({ batchIds }));
    else for (const batchId of batchIds) console.log(`accepted batch ${batchId}`);
    return ExitCode.OK;
  }

  const progress = options.json ? undefined : new ProgressLine(process.stderr);
  const deadline = Date.now() + options.timeout * 1000;
  let statuses: BatchStatus[];
  for (;;) {
    statuses = await Promise.all(batchIds.map((batchId) => api.json<BatchStatus>('GET', `/v1/batches/${batchId}`)));
    progress?.update(sum(statuses));
    if (statuses.every((status) => status.state === 'done')) break;
    if (Date.now() > deadline) {
      progress?.finish();
      throw new CliError(`gave up waiting after ${options.timeout}s; check later with: audio-index status ${batchIds.join(' ')}`, ExitCode.TIMED_OUT);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  progress?.finish();
  const failures = statuses.flatMap((status) => status.failures);
  const total = sum(statuses);
  if (options.json) console.log(JSON.stringify({ batchIds, ...total, failures }));
  else {
    console.log(`done: ${total.indexed} indexed, ${total.failed} failed of ${total.total}`);
    for (const failure of failures) console.log(`  ${failure.code.padEnd(24)} ${failure.id}  ${failure.message}`);
  }
  return failures.length > 0 ? ExitCode.ITEMS_FAILED : ExitCode.OK;
}

function sum(statuses: BatchStatus[]): BatchProgress {
  return statuses.reduce<BatchProgress>(
    (total, status) => ({
      total: total.total + status.total,
      embedded: total.embedded + status.embedded,
      indexed: total.indexed + status.indexed,
      failed: total.failed + status.failed,
      listing: status.listing === 'running' ? 'running' : total.listing,
    }),
    { total: 0, embedded: 0, indexed: 0, failed: 0 },
  );
}
