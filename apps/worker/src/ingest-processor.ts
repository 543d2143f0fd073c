import type { Job } from 'bullmq';
import { UnrecoverableError } from 'bullmq';
import type { AudioLoadOptions, AudioLoadTimings } from '@audio-index/audio-input';
import { loadAudioFromUrl } from '@audio-index/audio-input';
import type { ModelEmbedders } from '@audio-index/embedding';
import { jobCatalog, type BatchLedger, type CollectionSettings, type IngestItemPayload, type Logger } from '@audio-index/shared';
import type { IngestMetrics } from './ingest-metrics.ts';
import { failureOf, isFinalAttempt } from './job-outcome.ts';

export interface IngestProcessorDeps {
  /** The model a job names (a reindex), else the collection's, else the worker's own. */
  embedders: ModelEmbedders;
  ledger: BatchLedger;
  /** How each collection cuts recordings into segments, and whether a job's collection still exists (docs/segments.md). */
  settings: CollectionSettings;
  audio: AudioLoadOptions;
  logger: Logger;
  metrics?: IngestMetrics;
}

/**
 * One ingest job: fetch, decode, embed each segment, then append the recording's rows to the collection stream and
 * count it, atomically and at most once per job. Expected failures are recorded in the
 * batch and end the job without retry; transient ones are thrown for BullMQ's backoff, and
 * recorded when the last attempt fails too.
 */
export function createIngestProcessor(deps: IngestProcessorDeps) {
  const spec = jobCatalog.ingestItem;
  return async (job: Job): Promise<{ entryId: string | null }> => {
    const parsed = spec.payload.safeParse(job.data);
    if (!parsed.success) throw new UnrecoverableError(`bad ingest payload: ${parsed.error.message}`);
    const item: IngestItemPayload = parsed.data;
    // Every line about this job carries its job, item, batch and collection (README, "Following one item").
    const log = deps.logger.child({ jobId: job.id, itemId: item.itemId, batchId: item.batchId, collection: item.collection });
    log.debug({ attempt: job.attemptsMade + 1, url: item.url }, 'job started');
    const started = performance.now();
    // First attempts only: a retry's wait is mostly its backoff, not the queue.
    if (job.attemptsMade === 0 && job.processedOn) deps.metrics?.observe('queue_wait', (job.processedOn - job.timestamp - (job.opts.delay ?? 0)) / 1000);
    try {
      const segmentation = await deps.settings.forJob(item.collection, item.batchId);
      if (!segmentation) {
        // A stale job: its collection was deleted (or its batch discarded) after it was queued.
        // It ends as record-embedded.lua would end it, completed with nothing recorded, and
        // without fetching or embedding what nobody can receive.
        log.info('batch gone or collection being deleted: nothing to record');
        return { entryId: null };
      }
      const embedder = await deps.embedders.forCollection(item.collection, item.model);
      // Segments start embedding while a long recording is still being decoded (docs/shared-frames.md).
      const progressive = embedder.progressiveSegments(segmentation);
      const timings: AudioLoadTimings = { fetchSeconds: 0, decodeSeconds: 0 };
      const decode = { ...deps.audio.decode, sampleRate: embedder.sampleRate, onChunk: (chunk: Float32Array) => progressive.add(chunk) };
      const samples = await loadAudioFromUrl(item.url, { ...deps.audio, decode }, timings);
      const audioSeconds = samples.length / embedder.sampleRate;
      const embedStarted = performance.now();
      const { vectors, segments } = await progressive.finish(samples);
      const appendStarted = performance.now();
      const entryId = await deps.ledger.recordEmbedded(item.collection, job.id!, {
        op: 'upsert',
        id: item.itemId,
        url: item.url,
        metadata: item.metadata,
        modelId: embedder.modelId,
        vectors,
        dim: embedder.dim,
        segments,
        segmentation,
        batchId: item.batchId,
        generation: item.generation,
      });
      if (deps.metrics) {
        deps.metrics.observe('fetch', timings.fetchSeconds);
        deps.metrics.observe('decode', timings.decodeSeconds);
        deps.metrics.observe('embed', (appendStarted - embedStarted) / 1000);
        deps.metrics.observe('stream_append', (performance.now() - appendStarted) / 1000);
        deps.metrics.countAudio(audioSeconds, segments.length);
      }
      log.debug({ entryId, segments: segments.length, audioSeconds, ms: Math.round(performance.now() - started) }, 'embedded');
      return { entryId };
    } catch (error) {
      const failure = failureOf(error, job);
      if (!isFinalAttempt(failure, job)) {
        log.debug({ code: failure.code, attempt: job.attemptsMade + 1 }, 'attempt failed; retrying with backoff');
        throw error; // BullMQ retries with backoff
      }
      await deps.ledger.recordFailure(item.collection, item.batchId, job.id!, { id: item.itemId, url: item.url, ...failure });
      log.info({ code: failure.code, attempts: failure.attempts }, 'item failed');
      throw new UnrecoverableError(`${failure.code}: ${failure.message}`);
    }
  };
}
