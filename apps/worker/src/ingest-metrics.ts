import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Where an ingest job's time goes, in the order the job passes through them. */
export const INGEST_STAGES = ['queue_wait', 'fetch', 'decode', 'embed', 'stream_append'] as const;
export type IngestStage = (typeof INGEST_STAGES)[number];

/**
 * From a few ms (a short clip's fetch over local HTTP) to minutes (embedding an hour-long
 * recording, or a job waiting behind a large backlog).
 */
const STAGE_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180, 600];

/** The worker's Prometheus metrics: per-stage job timing and the audio it ingested. */
export class IngestMetrics {
  readonly registry = new Registry();
  private readonly stageSeconds: Histogram<'stage'>;
  private readonly audioSeconds: Counter;
  private readonly segments: Counter;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.stageSeconds = new Histogram({
      name: 'audio_index_ingest_stage_seconds',
      help: 'Time per ingest job in each stage (queue_wait: enqueued to started; stream_append: the ledger Lua step)',
      labelNames: ['stage'],
      buckets: STAGE_BUCKETS,
      registers,
    });
    this.audioSeconds = new Counter({ name: 'audio_index_ingest_audio_seconds_total', help: 'Seconds of audio decoded by ingest jobs', registers });
    this.segments = new Counter({ name: 'audio_index_ingest_segments_total', help: 'Segment rows appended to collection streams', registers });
  }

  observe(stage: IngestStage, seconds: number): void {
    this.stageSeconds.observe({ stage }, Math.max(0, seconds));
  }

  countAudio(seconds: number, segments: number): void {
    this.audioSeconds.inc(seconds);
    this.segments.inc(segments);
  }
}
