/**
 * A 20,000-item ingest (two requests of 10,000 tiny tones over loopback HTTP) with Redis
 * memory sampled every second: it must stay bounded (completed jobs removed, stream entries
 * deleted once published), not grow with the items. Separate processes; an AOF Redis and an
 * s3rver of this script's own. Default settings.
 *
 *   npx tsx bench/load/ingest-20k.ts [--items 20000] [--workers 2]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { ProcessSystem } from '../../test/support/process-system.ts';
import { RestartableRedis, RestartableS3 } from '../../test/support/restartable-services.ts';
import { auditLatestSnapshot } from '../../test/support/snapshot-audit.ts';
import { startToneServer } from './tone-server.ts';

const { values } = parseArgs({ options: { items: { type: 'string', default: '20000' }, workers: { type: 'string', default: '2' } } });
const ITEMS = Number(values.items);
const PER_REQUEST = 10_000;
const collection = 'big';

const tones = await startToneServer(0.2);
const redis = await RestartableRedis.start();
const s3 = await RestartableS3.start();
await s3.createBucket('bench-20k');
const system = await ProcessSystem.start({
  services: { REDIS_URL: redis.url, ...s3.env() } as { REDIS_URL: string; S3_ENDPOINT: string },
  bucket: 'bench-20k',
  namespace: 'bench-20k',
  env: {
    LOG_LEVEL: 'warn',
    PUBLISH_INTERVAL_MS: '',
    SNAPSHOT_POLL_INTERVAL_MS: '',
    COLLECTION_DISCOVERY_INTERVAL_MS: '',
    WORKER_LOCK_DURATION_MS: '',
    LEADER_LOCK_TTL_MS: '',
    SEARCH_THREADS: '',
    EMBED_BATCH_SIZE: '16',
    EMBED_BATCH_MAX_WAIT_MS: '5',
  },
  workers: Number(values.workers),
});

const memory = async () => {
  const info = await system.redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? 0);
};
try {
  const baseline = await memory();
  const started = Date.now();
  const batches: string[] = [];
  for (let start = 0; start < ITEMS; start += PER_REQUEST) {
    const items = Array.from({ length: Math.min(PER_REQUEST, ITEMS - start) }, (_, offset) => ({
      id: `item-${start + offset}`,
      url: tones.urlOf(start + offset),
      metadata: { n: start + offset },
    }));
    const answer = await system.call<{ batchId: string }>('POST', '/v1/ingest', { body: { collection, items }, timeoutMs: 120_000 });
    if (answer.status !== 202) throw new Error(`refused: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`);
    batches.push(answer.body.batchId);
  }
  const accepted = Date.now();
  const samples: { t: number; bytes: number; streamLength: number }[] = [];
  let done = false;
  while (!done) {
    samples.push({ t: (Date.now() - started) / 1000, bytes: await memory(), streamLength: await system.redis.xlen(system.keys.stream(collection)) });
    const counters = await Promise.all(batches.map((batchId) => system.redis.hmget(system.keys.batch(collection, batchId), 'total', 'indexed', 'failed')));
    done = counters.every(([total, indexed, failed]) => Number(indexed) + Number(failed) === Number(total));
    const last = samples.at(-1)!;
    if (samples.length % 30 === 0)
      console.log(
        `${last.t.toFixed(0)} s: used_memory ${(last.bytes / 2 ** 20).toFixed(1)} MiB, stream ${last.streamLength}, indexed ${counters.map((c) => c[1]).join('+')}`,
      );
    await sleep(1_000);
  }
  const finished = Date.now();
  await sleep(3_000);
  const after = await memory();
  const dbsize = await system.redis.dbsize();
  const statuses = await Promise.all(batches.map((batchId) => system.waitForBatch(batchId)));
  const audit = await auditLatestSnapshot(system.store, collection);
  const peak = Math.max(...samples.map((sample) => sample.bytes));
  const peakStream = Math.max(...samples.map((sample) => sample.streamLength));
  const missing = Array.from({ length: ITEMS }, (_, n) => `item-${n}`).filter((id) => !audit.rowsById.has(id));
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  console.log(
    `accepted ${ITEMS} in ${((accepted - started) / 1000).toFixed(1)} s; all done in ${((finished - started) / 1000).toFixed(0)} s (${(ITEMS / ((finished - started) / 1000)).toFixed(1)} items/s)`,
  );
  console.log(`redis used_memory: baseline ${mib(baseline)}, peak ${mib(peak)}, after ${mib(after)}; peak stream length ${peakStream}; keys after ${dbsize}`);
  console.log(
    `snapshot: v${audit.manifest?.version}, ${audit.manifest?.count} vectors in ${audit.manifest?.shards.length} shards; missing ${missing.length}, doubled ${audit.doubled.length}, failed ${statuses.reduce((sum, status) => sum + status.failed, 0)}`,
  );
  console.log(
    `memory samples (s, MiB): ${samples
      .filter((_, index) => index % 20 === 0)
      .map((sample) => `${sample.t.toFixed(0)}:${(sample.bytes / 2 ** 20).toFixed(0)}`)
      .join(' ')}`,
  );
  console.log(`crashes: ${system.crashes().length}`);
} finally {
  await system.stop();
  await tones.close();
  await redis.close();
  await s3.close();
}
// Whatever client still retries the stopped Redis must not keep the script alive.
process.exit(0);
