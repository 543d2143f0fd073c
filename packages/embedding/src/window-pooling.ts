import { EmbeddingError } from './embedding-error.ts';
import type { ModelCard } from './model-card.ts';

/**
 * Averages model outputs into one vector per clip: a `pooled` output [B, D] gives one
 * vector per window; a `frames` output [B, F, D] is first averaged over its frames.
 * Every window then weighs the same. Sums are kept in float64 so an hour of windows
 * does not lose precision.
 */
export class WindowPooler {
  private readonly sum: Float64Array;
  private windowCount = 0;

  constructor(private readonly card: Pick<ModelCard, 'outputKind' | 'dim' | 'outputName'>) {
    this.sum = new Float64Array(card.dim);
  }

  add(output: Float32Array, dims: readonly number[]): void {
    const { dim } = this.card;
    const [batch = 0] = dims;
    const framesPerWindow = this.card.outputKind === 'frames' ? (dims[1] ?? 0) : 1;
    const expectedRank = this.card.outputKind === 'frames' ? 3 : 2;
    if (dims.length !== expectedRank || dims[dims.length - 1] !== dim || framesPerWindow < 1 || batch < 1) {
      throw new EmbeddingError(
        'MODEL_CARD_INVALID',
        `model output "${this.card.outputName}" has shape [${dims.join(', ')}], but the card says ${this.card.outputKind} with dim ${dim}`,
      );
    }
    for (let window = 0; window < batch; window++) {
      const windowOffset = window * framesPerWindow * dim;
      for (let frame = 0; frame < framesPerWindow; frame++) {
        const offset = windowOffset + frame * dim;
        for (let d = 0; d < dim; d++) this.sum[d]! += output[offset + d]! / framesPerWindow;
      }
    }
    this.windowCount += batch;
  }

  mean(): Float32Array {
    const mean = new Float32Array(this.sum.length);
    if (this.windowCount === 0) return mean;
    for (let d = 0; d < mean.length; d++) mean[d] = this.sum[d]! / this.windowCount;
    return mean;
  }
}
