import { Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Buckets from a publish of one small shard (tens of ms) to a publish under a large backlog. */
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600];

/**
 * The indexer's share of an item's time, continuing the worker's `audio_index_ingest_stage_seconds`
 * (queue_wait .. stream_append): `publish` is one publish step (shard, manifest, commit, LATEST),
 * `served` is per stream entry, from its append (the entry id's time) to LATEST naming it.
 */
export class IndexerMetrics {
  readonly registry = new Registry();
  private readonly stageSeconds: Histogram<'stage'>;

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.stageSeconds = new Histogram({
      name: 'audio_index_ingest_stage_seconds',
      help: 'Indexer stages: publish (one publish step), served (stream append to LATEST, per entry)',
      labelNames: ['stage'],
      buckets: BUCKETS,
      registers: [this.registry],
    });
  }

  published(seconds: number, entryIds: readonly string[], now = Date.now()): void {
    this.stageSeconds.observe({ stage: 'publish' }, seconds);
    for (const id of entryIds) {
      const appendedAt = Number(id.slice(0, id.indexOf('-')));
      if (Number.isFinite(appendedAt)) this.stageSeconds.observe({ stage: 'served' }, Math.max(0, (now - appendedAt) / 1000));
    }
  }
}
