export { createEmbedder, type Embedder, type EmbedderOptions, type EmbedOptions, type SegmentEmbeddings } from './embedder.ts';
export { ModelEmbedders, type CollectionModel, type ModelEmbeddersOptions } from './model-embedders.ts';
export { planSegments, segmentSampleRange, type SegmentSettings, type SegmentSpan } from './segment-plan.ts';
export type { EmbedderStats } from './pool-tasks.ts';
export { EmbeddingError, isEmbeddingError, type EmbeddingErrorCode } from './embedding-error.ts';
export { ExecutionProviders, type ExecutionProvider } from './execution-provider.ts';
export { l2Normalise } from './l2-normalise.ts';
export { loadModelCard, ModelCardSchema, type ModelCard, type ModelCardFile } from './model-card.ts';
export { planWindows, type AudioWindow } from './audio-windows.ts';
export { SILENCE_PEAK } from './audio-checks.ts';
/** One session on the calling thread, no pool: for the plain-loop reference in bench/ingest (it blocks its thread). */
export { createInferenceSession } from './execution-provider.ts';
export { embedClips } from './clip-embedding.ts';
export { asEmbeddingError, embedRecordingSegments, type SegmentExecutor } from './segment-embedding.ts';
export type { ProgressiveSegments } from './progressive-segments.ts';
export { embedSegmentRun, type SplitSessions } from './shared-frames-run.ts';
