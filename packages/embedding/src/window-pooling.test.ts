import { describe, expect, it } from 'vitest';
import { WindowPooler } from './window-pooling.ts';

describe('WindowPooler', () => {
  it('averages pooled outputs over windows, across batches', () => {
    const pooler = new WindowPooler({ outputKind: 'pooled', dim: 2, outputName: 'embedding' });
    pooler.add(Float32Array.of(1, 2, 3, 4), [2, 2]);
    pooler.add(Float32Array.of(5, 6), [1, 2]);
    expect(Array.from(pooler.mean())).toEqual([3, 4]);
  });

  it('averages frame outputs over frames, then over windows', () => {
    const pooler = new WindowPooler({ outputKind: 'frames', dim: 2, outputName: 'last_hidden_state' });
    // window 0: frames (0,0) and (2,2) -> (1,1); window 1: frames (3,5) and (5,7) -> (4,6)
    pooler.add(Float32Array.of(0, 0, 2, 2, 3, 5, 5, 7), [2, 2, 2]);
    expect(Array.from(pooler.mean())).toEqual([2.5, 3.5]);
  });

  it('refuses an output whose shape the card does not describe', () => {
    const pooler = new WindowPooler({ outputKind: 'pooled', dim: 3, outputName: 'embedding' });
    expect(() => pooler.add(new Float32Array(4), [2, 2])).toThrow(expect.objectContaining({ code: 'MODEL_CARD_INVALID' }));
    expect(() => pooler.add(new Float32Array(6), [1, 2, 3])).toThrow(expect.objectContaining({ code: 'MODEL_CARD_INVALID' }));
  });
});
