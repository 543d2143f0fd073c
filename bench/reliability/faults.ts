/**
 * Faults while a 2,000-item batch ingests, each scenario on a collection of its own, against
 * api, worker and indexer as separate processes, an AOF Redis and an s3rver of this script's
 * own (loopback only). Prints one Markdown row per scenario for RELIABILITY.md.
 *
 *   npx tsx bench/reliability/faults.ts [--items 2000] [--only worker-kills,redis-restart]
 *   npx tsx bench/reliability/faults.ts --help
 */
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ProcessSystem } from '../../test/support/process-system.ts';
import { RestartableRedis, RestartableS3 } from '../../test/support/restartable-services.ts';
import { serveDirectory } from '../../test/support/static-file-server.ts';
import { batchCounters, checkRecovery, waitFor, watchLatest, writeToneFiles } from '../../test/reliability/support/recovery-check.ts';

const { values } = parseArgs({
  options: {
    items: { type: 'string', default: '2000' },
    only: { type: 'string' },
    hanging: { type: 'string', default: '4' },
    'timeout-s': { type: 'string', default: '900' },
    help: { type: 'boolean', default: false },
  },
});
const SCENARIOS = ['worker-kills', 'stall-twice', 'indexer-kills', 'redis-restart', 's3-outage', 'api-restart'];
if (values.help) {
  console.log(`Faults while a batch ingests; one Markdown row per scenario.

  --items N        tone files per batch (default 2000)
  --only a,b       scenarios to run (default all): ${SCENARIOS.join(', ')}
  --hanging N      stall-twice only: items whose URL never answers, so their jobs are mid-fetch at
                   both kills (default 4)
  --timeout-s S    how long a batch may take to end after its fault before the row says FAIL
                   (default 900)

stall-twice kills both workers at 30% embedded, waits until the hanging items are fetched again
by their replacements, and kills both again: those jobs stalled twice. They must end failed with
WORKER_STALLED and the batch done; before issue 11 item 4 BullMQ failed them unrecorded and the
batch stayed running.`);
  process.exit(0);
}
const ITEMS = Number(values.items);
const HANGING = Number(values.hanging);

type Scenario = {
  name: string;
  run: (system: ProcessSystem, counters: () => Promise<{ embedded: number; indexed: number }>, watcher: ReturnType<typeof watchLatest>) => Promise<string>;
};

const scenarios: Scenario[] = [
  {
    name: 'worker-kills',
    async run(system, counters) {
      const notes: string[] = [];
      for (const share of [0.15, 0.35, 0.55, 0.75]) {
        await waitFor(async () => (await counters()).embedded >= ITEMS * share, `embedded ${share}`, 600_000);
        const victim = system.workers.find((worker) => worker.running)!;
        notes.push(`at ${(await counters()).embedded}`);
        await victim.kill('SIGKILL');
        await system.startWorker();
      }
      return `kill -9 a worker mid-job 4 times (embedded ${notes.join(', ')})`;
    },
  },
  {
    name: 'stall-twice',
    async run(system, counters) {
      await waitFor(async () => (await counters()).embedded >= ITEMS * 0.3, 'embedded 30%', 600_000);
      const at = (await counters()).embedded;
      for (let round = 1; round <= 2; round += 1) {
        // Every hanging item is mid-fetch on some worker: both go at once.
        await waitFor(async () => hang.hits() >= round * HANGING, `hanging items fetched ${round} times`, 600_000);
        for (const worker of system.workers.filter((candidate) => candidate.running)) await worker.kill('SIGKILL');
        await system.startWorker();
        await system.startWorker();
      }
      return `kill -9 both workers twice while ${HANGING} items hang mid-fetch (from embedded ${at})`;
    },
  },
  {
    name: 'indexer-kills',
    async run(system, counters) {
      const notes: string[] = [];
      for (const share of [0.25, 0.5, 0.75]) {
        await waitFor(async () => (await counters()).indexed >= ITEMS * share, `indexed ${share}`, 600_000);
        // Wait for a publish to start: pending entries mean the next publish is due now.
        const indexer = system.indexers.find((candidate) => candidate.running)!;
        notes.push(`at ${(await counters()).indexed}`);
        await indexer.kill('SIGKILL');
        await system.startIndexer();
      }
      return `kill -9 the indexer mid-publish 3 times (indexed ${notes.join(', ')})`;
    },
  },
  {
    name: 'redis-restart',
    async run(_system, counters) {
      await waitFor(async () => (await counters()).embedded >= ITEMS * 0.4, 'embedded 40%', 600_000);
      const at = (await counters()).embedded;
      await redis.halt();
      await sleep(3_000);
      await redis.resume();
      return `kill -9 Redis (AOF everysec) at embedded ${at}, down 3 s, restarted from its AOF`;
    },
  },
  {
    name: 's3-outage',
    async run(_system, counters, watcher) {
      await waitFor(async () => (await counters()).indexed >= ITEMS * 0.3, 'indexed 30%', 600_000);
      const at = (await counters()).indexed;
      watcher.pause();
      await s3.halt();
      await sleep(20_000);
      await s3.resume();
      watcher.resume();
      return `S3 server gone for 20 s from indexed ${at}`;
    },
  },
  {
    name: 'api-restart',
    async run(system, counters) {
      await waitFor(async () => (await counters()).embedded >= ITEMS * 0.3, 'embedded 30%', 600_000);
      const api = system.apis.find((candidate) => candidate.running)!;
      await api.kill('SIGKILL');
      await sleep(1_000);
      await system.startApi();
      return 'kill -9 the API at 30% embedded, a new one started';
    },
  },
];

/** A server whose every request is accepted and never answered: a job fetching from it stays mid-job until its worker dies. */
const hang = await (async () => {
  let hits = 0;
  const server = http.createServer(() => {
    hits += 1;
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits: () => hits,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
})();

const directory = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-faults-'));
const names = writeToneFiles(directory, ITEMS);
const files = await serveDirectory(directory);
const redis = await RestartableRedis.start();
const s3 = await RestartableS3.start();
await s3.createBucket('bench-faults');
const system = await ProcessSystem.start({
  services: { REDIS_URL: redis.url, ...s3.env() } as { REDIS_URL: string; S3_ENDPOINT: string },
  bucket: 'bench-faults',
  namespace: 'bench-faults',
  // The long fetch timeouts (the connect one runs until the response starts) keep stall-twice's hanging items mid-fetch until the kills end them.
  env: {
    WORKER_CONCURRENCY: '8',
    EMBED_BATCH_SIZE: '16',
    EMBED_BATCH_MAX_WAIT_MS: '5',
    LOG_LEVEL: 'warn',
    FETCH_TOTAL_TIMEOUT_MS: '600000',
    FETCH_CONNECT_TIMEOUT_MS: '600000',
  },
  workers: 2,
});
const rows: string[] = [];
try {
  for (const scenario of scenarios.filter((candidate) => !values.only || values.only.split(',').includes(candidate.name))) {
    const collection = `faults-${scenario.name}`;
    const items = names.map((name, index) => ({ id: `${scenario.name}-${index}`, url: files.urlOf(name) }));
    // First in the batch, so they are mid-fetch from the start (jobs are taken oldest first).
    if (scenario.name === 'stall-twice')
      items.unshift(...Array.from({ length: HANGING }, (_, index) => ({ id: `${scenario.name}-hang-${index}`, url: `${hang.url}/hang-${index}.wav` })));
    const started = Date.now();
    const accepted = await system.call<{ batchId: string }>('POST', '/v1/ingest', { body: { collection, items } });
    if (accepted.status !== 202) throw new Error(`ingest refused: ${JSON.stringify(accepted.body)}`);
    const { batchId } = accepted.body;
    const watcher = watchLatest(system, collection);
    const what = await scenario.run(system, () => batchCounters(system, collection, batchId), watcher);
    let report;
    try {
      report = await checkRecovery(system, collection, [{ batchId, ids: items.map((item) => item.id) }], Number(values['timeout-s']) * 1000);
    } catch (error) {
      // A batch that never ends is this script's finding, not its crash.
      await watcher.stop();
      const row = `| ${what} | ${items.length} | – | – | – | – | – | – | ${((Date.now() - started) / 1000).toFixed(0)} s | FAIL: ${(error as Error).message.slice(0, 300)} |`;
      console.log(row);
      rows.push(row);
      continue;
    }
    await watcher.stop();
    const seconds = ((Date.now() - started) / 1000).toFixed(0);
    const failed =
      Object.entries(report.failureCodes)
        .map(([code, count]) => `${count} ${code}`)
        .join(', ') || '0';
    const ok =
      report.lost.length === 0 &&
      report.doubled.length === 0 &&
      report.failedButIndexed.length === 0 &&
      report.counterMismatches.length === 0 &&
      report.brokenShards.length === 0 &&
      watcher.problems.length === 0;
    const row = `| ${what} | ${report.accepted} | ${report.indexed} | ${failed} | ${report.lost.length} | ${report.doubled.length} | ${report.counterMismatches.length === 0 ? 'yes' : report.counterMismatches.join('; ')} | ${watcher.problems.length === 0 ? `yes (${watcher.readings} reads)` : watcher.problems.slice(0, 3).join('; ')} | ${seconds} s | ${ok ? 'pass' : 'FAIL'} |`;
    console.log(row);
    rows.push(row);
    const crashes = system.crashes();
    if (crashes.length > 0) console.log(`crashes: ${crashes.join('\n')}`);
  }
} finally {
  await system.stop();
  await files.close();
  await hang.close();
  await redis.close();
  await s3.close();
  fs.rmSync(directory, { recursive: true, force: true });
}
console.log('\n| fault | accepted | indexed | failed (code) | lost | doubled | counters match snapshot | LATEST loadable throughout | wall | verdict |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const row of rows) console.log(row);
// Whatever client still retries the stopped Redis must not keep the script alive.
process.exit(0);
