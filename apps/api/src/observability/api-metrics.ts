import type { Queue, QueueEvents } from 'bullmq';
import { dependencyHealth, type DependencyHealth } from '@audio-index/shared';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { LoadedSnapshot } from '../search/loaded-snapshot.ts';
import type { SearchTimings } from '../search/search-service.ts';

export interface MetricSources {
  snapshots(): LoadedSnapshot[];
  queues: Queue[];
  collections(): Promise<string[]>;
  pendingEntries(collection: string): Promise<number>;
  /** Defaults to the process's registry, which every Redis connection reports to. */
  health?: DependencyHealth;
}

/**
 * Gauges read from Redis give up after this long, so a scrape during an outage still
 * answers (with the dependency gauges saying why the others are missing).
 */
const REDIS_COLLECT_TIMEOUT_MS = 2_000;

async function withinTimeout(work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, REDIS_COLLECT_TIMEOUT_MS)))]);
  } catch {
    // Redis refused or dropped the reads: the gauge stays empty for this scrape.
  } finally {
    clearTimeout(timer);
  }
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The API's Prometheus metrics. Gauges that mirror state elsewhere (queues, snapshots,
 * streams) are read when scraped, so they are never stale and cost nothing between scrapes.
 */
export class ApiMetrics implements SearchTimings {
  readonly registry = new Registry();
  private readonly searchSeconds: Histogram;
  private readonly embedSeconds: Histogram;
  readonly httpSeconds: Histogram<'method' | 'route' | 'status'>;
  private readonly jobOutcomes: Counter<'queue' | 'outcome' | 'code'>;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.searchSeconds = new Histogram({
      name: 'audio_index_search_seconds',
      help: 'Vector search time per query (engine, excluding embedding)',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.embedSeconds = new Histogram({
      name: 'audio_index_query_embed_seconds',
      help: 'Embedding time of audio queries',
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.httpSeconds = new Histogram({
      name: 'audio_index_http_request_seconds',
      help: 'HTTP request time',
      labelNames: ['method', 'route', 'status'],
      buckets: LATENCY_BUCKETS,
      registers,
    });
    this.jobOutcomes = new Counter({
      name: 'audio_index_job_outcomes_total',
      help: 'Finished jobs by outcome and error code',
      labelNames: ['queue', 'outcome', 'code'],
      registers,
    });
    new Gauge({
      name: 'audio_index_queue_jobs',
      help: 'Jobs per queue and state',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        await withinTimeout(
          (async () => {
            for (const queue of sources.queues) {
              const counts = await queue.getJobCounts('waiting', 'active', 'delayed', 'failed', 'prioritized', 'waiting-children');
              for (const [state, count] of Object.entries(counts)) this.set({ queue: queue.name, state }, count);
            }
          })(),
        );
      },
    });
    const snapshotGauge = (name: string, help: string, value: (snapshot: LoadedSnapshot) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['collection'],
        registers,
        collect() {
          this.reset();
          for (const snapshot of sources.snapshots()) this.set({ collection: snapshot.manifest.collection }, value(snapshot));
        },
      });
    snapshotGauge('audio_index_snapshot_version', 'Snapshot version served', (snapshot) => snapshot.version);
    snapshotGauge('audio_index_snapshot_vectors', 'Visible vectors in the served snapshot', (snapshot) => snapshot.count);
    snapshotGauge(
      'audio_index_snapshot_age_seconds',
      'Seconds since the served snapshot was published',
      (snapshot) => (Date.now() - Date.parse(snapshot.manifest.createdAt)) / 1000,
    );
    new Gauge({
      name: 'audio_index_stream_lag_entries',
      help: 'Stream entries the indexer has not applied yet',
      labelNames: ['collection'],
      registers,
      async collect() {
        this.reset();
        await withinTimeout(
          (async () => {
            for (const collection of await sources.collections()) this.set({ collection }, await sources.pendingEntries(collection));
          })(),
        );
      },
    });
    const health = sources.health ?? dependencyHealth;
    new Gauge({
      name: 'audio_index_dependency_up',
      help: 'Whether a dependency (redis, store) answers, as this process last saw it (1 up, 0 down)',
      labelNames: ['dependency'],
      registers,
      collect() {
        this.reset();
        for (const state of health.states()) this.set({ dependency: state.name }, state.up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'audio_index_dependency_state_seconds',
      help: 'Seconds the dependency has been in its current state (up or down)',
      labelNames: ['dependency'],
      registers,
      collect() {
        this.reset();
        for (const state of health.states()) this.set({ dependency: state.name }, (Date.now() - state.since) / 1000);
      },
    });
  }

  observeSearch(seconds: number): void {
    this.searchSeconds.observe(seconds);
  }

  observeEmbed(seconds: number): void {
    this.embedSeconds.observe(seconds);
  }

  /** Counts job outcomes from BullMQ's event stream; the error code is the leading CODE of the failure reason when there is one. */
  countJobOutcomes(queueName: string, events: QueueEvents): void {
    events.on('completed', () => this.jobOutcomes.inc({ queue: queueName, outcome: 'completed', code: 'OK' }));
    events.on('failed', ({ failedReason }) => {
      const code = /^([A-Z][A-Z0-9_]{2,})\b/.exec(failedReason ?? '')?.[1] ?? 'UNKNOWN';
      this.jobOutcomes.inc({ queue: queueName, outcome: 'failed', code });
    });
  }
}
