import { describe, expect, it } from 'vitest';
import { serveMetrics } from '@audio-index/shared';
import { IndexerMetrics } from './indexer-metrics.ts';

describe('IndexerMetrics', () => {
  it('times each publish, and each entry from its append (the stream id) to the publish, on GET /metrics', async () => {
    const metrics = new IndexerMetrics();
    const now = 1_700_000_010_000;
    metrics.published(0.2, ['1700000009000-0', '1700000009500-3'], now);
    const endpoint = await serveMetrics(metrics.registry, 0, '127.0.0.1');
    try {
      const text = await (await fetch(`http://127.0.0.1:${endpoint.port}/metrics`)).text();
      expect(text).toMatch(/^audio_index_ingest_stage_seconds_count\{stage="publish"\} 1$/m);
      expect(text).toMatch(/^audio_index_ingest_stage_seconds_count\{stage="served"\} 2$/m);
      // 1.0 s and 0.5 s after their appends.
      expect(Number(/^audio_index_ingest_stage_seconds_sum\{stage="served"\} (\S+)$/m.exec(text)?.[1])).toBeCloseTo(1.5, 6);
    } finally {
      await endpoint.close();
    }
  });
});
